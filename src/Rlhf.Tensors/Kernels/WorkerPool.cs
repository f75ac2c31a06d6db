namespace Rlhf.Tensors.Kernels;

/// <summary>
/// A tiny fork/join pool for the engine's parallel kernels: one dedicated background thread per extra core that
/// spins briefly between jobs before sleeping, so back-to-back kernels (a training step is hundreds of them) start
/// without a thread-pool wake-up. This is what OpenBLAS does with its own threads, and on a loaded 2-core box it is
/// the difference between keeping and losing the second core for the length of a GEMM.
/// <para>
/// <see cref="Run"/> splits work into <c>parts</c> indices; the caller runs some itself. Only one job runs at a time:
/// a call made while the pool is busy (from another thread, or nested inside a job) runs all parts serially on the
/// calling thread, which is always correct because parts are independent. Which thread runs a part never changes
/// the result: parts write disjoint outputs.
/// </para>
/// </summary>
public static class WorkerPool
{
    private const int SpinIterations = 20_000; // ~1–2 ms of SpinWait before a worker blocks

    private static readonly Worker[] Workers = CreateWorkers(Math.Max(0, ThreadBudget.Threads - 1));
    private static int _busy;

    /// <summary>Threads a job can use: the caller plus the workers.</summary>
    public static int Concurrency => Workers.Length + 1;

    /// <summary>Runs <paramref name="body"/>(0 .. parts−1), in parallel where the pool is free; returns when all are done.</summary>
    public static void Run(int parts, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (parts <= 0) return;
        if (parts == 1 || Workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < parts; i++) body(i);
            return;
        }
        try
        {
            int helpers = Math.Min(Workers.Length, parts - 1);
            var job = new Job(body, parts);
            for (int w = 0; w < helpers; w++) Workers[w].Post(job);
            job.Work();
            job.WaitAll();
            if (job.Error is not null) throw new AggregateException(job.Error);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private static Worker[] CreateWorkers(int count)
    {
        var workers = new Worker[count];
        for (int i = 0; i < count; i++) workers[i] = new Worker(i);
        return workers;
    }

    /// <summary>
    /// One job: parts are claimed with an atomic counter, so a slow thread never holds others up, and completion is
    /// counted in parts, not helpers: a helper that wakes only after the caller has run every part itself (the usual
    /// case when another process holds the other core) finds nothing to claim and is not waited for. Waiting for
    /// every posted helper instead made each small parallel op cost a scheduler quantum on a busy machine.
    /// </summary>
    private sealed class Job(Action<int> body, int parts)
    {
        private int _next = -1;
        private int _completed;
        private readonly ManualResetEventSlim _done = new(initialState: false, spinCount: 2000);
        public Exception? Error;

        public void Work()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next)) < parts)
            {
                try { body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref Error, e, null); }
                if (Interlocked.Increment(ref _completed) == parts) _done.Set();
            }
        }

        /// <summary>
        /// Waits until every part has completed (parts still running on a helper): a short spin, then blocking — so when
        /// another process holds the other core, the caller's core is handed to the straggling worker instead of being
        /// burnt spinning. Not disposed: a late helper may still touch the job (it claims nothing).
        /// </summary>
        public void WaitAll()
        {
            if (Volatile.Read(ref _completed) < parts) _done.Wait();
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private Job? _job;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"rlhf-worker-{index}" };
            thread.Start();
        }

        public void Post(Job job)
        {
            Volatile.Write(ref _job, job);
            _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                // spin first: the next kernel usually follows within microseconds
                Job? job = null;
                for (int i = 0; i < SpinIterations && (job = Volatile.Read(ref _job)) is null; i++) Thread.SpinWait(20);
                _wake.Wait();
                job ??= Volatile.Read(ref _job);
                Volatile.Write(ref _job, null);
                if (job is null) continue;
                job.Work();
            }
        }
    }
}
