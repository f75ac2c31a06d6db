using System.Diagnostics;
using System.Text;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A scorer program kept running for the whole job: each batch is one request line on its standard input, the reply
/// is the next line on its standard output (JSON lines; <see cref="ExternalScoreProtocol"/>). The program is started
/// on first use; one that timed out, died or answered garbage is killed and started afresh for the next attempt.
/// Its standard error is collected and its last line quoted in errors.
/// </summary>
public sealed class ProcessScoreTransport : IScoreTransport
{
    private readonly string _program;
    private readonly IReadOnlyList<string> _arguments;
    private Process? _process;
    private string? _lastError;

    /// <summary>A transport to <paramref name="program"/> run with <paramref name="arguments"/>.</summary>
    public ProcessScoreTransport(string program, IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(program);
        _program = program;
        _arguments = arguments ?? [];
    }

    /// <inheritdoc/>
    public string Name => "cmd:" + string.Join(' ', [_program, .. _arguments]);

    /// <summary>Times a program was started (1 while it never failed).</summary>
    public int Starts { get; private set; }

    /// <inheritdoc/>
    public string Exchange(string requestJson, TimeSpan timeout)
    {
        var process = _process ??= Start();
        try
        {
            process.StandardInput.WriteLine(requestJson);
            process.StandardInput.Flush();
        }
        catch (IOException e) { Restart(); throw new ExternalScorerException($"cannot write to the program (exited?{ErrorTail()}): {e.Message}", e); }
        var read = process.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout))
        {
            Restart();
            throw new ExternalScorerException($"no reply within {timeout.TotalSeconds:G3} s (program restarted for the next batch)");
        }
        string? line = read.Result;
        if (line is null)
        {
            Restart();
            throw new ExternalScorerException($"the program closed its output (exited{ErrorTail()})");
        }
        return line;
    }

    /// <summary>Kills the program after a reply that could not be used, so the next batch does not read a stale line; the next exchange starts it again.</summary>
    public void Reset() => Restart();

    private void Restart()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    private Process Start()
    {
        var info = new ProcessStartInfo(_program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false), StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in _arguments) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new ExternalScorerException($"{Name}: the program did not start"); }
        catch (System.ComponentModel.Win32Exception e) { throw new ExternalScorerException($"cannot start '{_program}': {e.Message}", e); }
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) _lastError = e.Data; };
        process.BeginErrorReadLine();
        Starts++;
        return process;
    }

    private string ErrorTail() => _lastError is null ? "" : $"; its last error line: {_lastError}";

    /// <inheritdoc/>
    public void Dispose() => Restart();
}
