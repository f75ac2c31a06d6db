namespace Rlhf.Cli.Commands;

/// <summary>Things a verb opened that hold resources (an external scorer's child process or HTTP client), disposed in reverse order when the verb ends.</summary>
internal sealed class DisposableStack : IDisposable
{
    private readonly Stack<IDisposable> _items = new();

    /// <summary>Registers <paramref name="item"/> when it is disposable; returns it.</summary>
    public T Push<T>(T item)
    {
        if (item is IDisposable d) _items.Push(d);
        return item;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        while (_items.TryPop(out var d)) d.Dispose();
    }
}
