using System.Runtime.InteropServices;

namespace Rlhf.Cli.Commands;

/// <summary>
/// Graceful stop for the training verbs: the first Ctrl+C (SIGINT) or SIGTERM cancels <see cref="Token"/>, so the
/// trainer finishes its current step, saves a checkpoint and returns (continue with <c>--resume</c>); a second
/// signal terminates the process as usual. Handlers are removed on dispose.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration? _term;
    private readonly TextWriter _error;

    public StopSignal(TextWriter error)
    {
        _error = error;
        Console.CancelKeyPress += OnCancelKeyPress;
        try { _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => ctx.Cancel = Request()); }
        catch (PlatformNotSupportedException) { _term = null; }
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cts.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e) => e.Cancel = Request();

    /// <summary>True (swallow the signal) the first time, false afterwards so a second signal terminates.</summary>
    private bool Request()
    {
        if (_cts.IsCancellationRequested) return false;
        _error.WriteLine("stopping after the current step and saving a checkpoint (signal again to abort)");
        _cts.Cancel();
        return true;
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _term?.Dispose();
        _cts.Dispose();
    }
}
