using System.Diagnostics;
using System.Text;

namespace Rlhf.Cli.Tests.Mpi;

/// <summary>
/// Runs <c>mpiexec -n N dotnet rlhf.dll …</c> (MPICH, which <c>.ci/run</c> installs) from the test, with a bound
/// on its wall time; and finds the process of one rank (for the fault tests).
/// </summary>
internal static class MpiRun
{
    /// <summary>The launcher, or null when MPICH is not installed.</summary>
    public static readonly string? Mpiexec = new[] { "/usr/bin/mpiexec.mpich", "/usr/bin/mpiexec" }.FirstOrDefault(File.Exists);

    /// <summary>The CLI assembly next to the tests (its runtimeconfig makes it runnable with <c>dotnet</c>).</summary>
    public static string CliDll
    {
        get
        {
            string dll = typeof(CliApp).Assembly.Location;
            if (!File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
                throw new InvalidOperationException($"{dll} has no runtimeconfig.json next to it: it cannot be started with dotnet");
            return dll;
        }
    }

    /// <summary>Starts <paramref name="ranks"/> processes of <c>rlhf <paramref name="args"/></c>; <paramref name="env"/> adds environment variables.</summary>
    public static Process Start(int ranks, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env, StringBuilder output, StringBuilder error)
    {
        var psi = new ProcessStartInfo(Mpiexec ?? throw new InvalidOperationException("mpiexec is not installed"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in (string[])["-n", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", CliDll, .. args]) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs to the end (at most <paramref name="timeout"/>, then the job is killed and the test fails); the exit code and output.</summary>
    public static (int Code, string Out, string Err) Run(int ranks, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? env = null)
    {
        StringBuilder output = new(), error = new();
        using var p = Start(ranks, args, env, output, error);
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"mpiexec -n {ranks} rlhf {string.Join(' ', args)} did not end within {timeout}\n{output}\n{error}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>
    /// The process id of rank <paramref name="rank"/> of the job whose environment carries <c>RLHF_TEST_TAG=<paramref name="tag"/></c>
    /// (read from /proc), or null while it has not started.
    /// </summary>
    public static int? FindRank(string tag, int rank)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string environ;
            try { environ = File.ReadAllText(Path.Combine(dir, "environ")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            var vars = environ.Split('\0');
            if (vars.Contains($"RLHF_TEST_TAG={tag}") && vars.Contains($"PMI_RANK={rank}") && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(Path.GetFileName(CliDll)))
                return pid;
        }
        return null;
    }
}
