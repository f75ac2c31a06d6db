using System.Diagnostics;

namespace Rlhf.Training.Distributed;

/// <summary>
/// Bounds how long a process waits inside one collective. MPI's blocking collectives wait forever for a peer that
/// hangs (a deadlocked rank, a machine that vanished without the launcher noticing); this thread watches the
/// collective in progress and, past the timeout, writes which call waited how long and ends the process with exit
/// code <see cref="ExitCode"/>. <c>mpiexec</c> (MPICH's Hydra) then ends every other process of the job, so the run
/// fails within timeout + a few seconds instead of hanging. The watched thread is blocked in native code, hence the
/// hard exit rather than an exception. Checkpoints are written atomically, so the last one stays loadable.
/// </summary>
internal sealed class CollectiveWatchdog : IDisposable
{
    /// <summary>The exit code of a process the watchdog ended (EX_TEMPFAIL).</summary>
    public const int ExitCode = 75;

    private readonly int _rank, _size;
    private readonly TimeSpan? _timeout;
    private readonly Thread? _thread;
    private readonly ManualResetEventSlim _stop = new(false);
    private string? _call;
    private long _since;

    public CollectiveWatchdog(int rank, int size, TimeSpan? timeout)
    {
        (_rank, _size, _timeout) = (rank, size, timeout);
        if (timeout is null) return;
        _thread = new Thread(Loop) { IsBackground = true, Name = "rlhf collective watchdog" };
        _thread.Start();
    }

    /// <summary>Marks <paramref name="call"/> as in progress until the returned scope is disposed.</summary>
    public Scope Watch(string call)
    {
        Volatile.Write(ref _since, Stopwatch.GetTimestamp());
        Volatile.Write(ref _call, call);
        return new Scope(this);
    }

    private void Loop()
    {
        var timeout = _timeout!.Value;
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 4, 50, 1000));
        while (!_stop.Wait(poll))
        {
            string? call = Volatile.Read(ref _call);
            if (call is null) continue;
            var waited = Stopwatch.GetElapsedTime(Volatile.Read(ref _since));
            if (waited < timeout || !ReferenceEquals(call, Volatile.Read(ref _call))) continue;
            Console.Out.Flush();
            Console.Error.WriteLine($"error: rank {_rank} of {_size}: {call} has waited {waited.TotalSeconds:F0} s for the other processes "
                + $"(limit {timeout.TotalSeconds:G} s, RLHF_MPI_TIMEOUT): a process has died or hangs; ending this one. "
                + "The last checkpoint of the run is intact; continue with --resume under the same number of processes.");
            Console.Error.Flush();
            Environment.Exit(ExitCode);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread?.Join();
        _stop.Dispose();
    }

    /// <summary>The collective in progress; disposing it marks the collective done.</summary>
    public readonly struct Scope(CollectiveWatchdog owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._call, null);
    }
}
