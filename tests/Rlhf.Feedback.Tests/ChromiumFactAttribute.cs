namespace Rlhf.Feedback.Tests;

/// <summary>
/// A test that needs the system's Chromium (Debian package <c>chromium</c>, which <c>.ci/run</c> installs): skipped,
/// saying why, only when the browser is not installed. <c>RLHF_CHROMIUM</c> overrides the path.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>The Chromium executable the browser tests drive.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("RLHF_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(ChromiumPath)) Skip = $"Chromium not found at {ChromiumPath}: install it (apt-get install -y chromium) or set RLHF_CHROMIUM";
    }
}
