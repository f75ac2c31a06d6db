using System.Diagnostics;

namespace Rlhf.Models.Tests;

/// <summary>
/// A test that runs the PyTorch reference (tests/reference/*.py) with Debian's <c>/usr/bin/python3</c> and
/// <c>python3-torch</c>, which <c>.ci/run</c> installs: skipped, saying why, only when torch cannot be imported.
/// </summary>
public sealed class TorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python)) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(120_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    public TorchFactAttribute()
    {
        if (!Available.Value) Skip = $"{Python} cannot import torch: install it (apt-get install -y python3-torch)";
    }
}
