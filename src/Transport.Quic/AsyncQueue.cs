namespace Transport.Quic;

/// <summary>
/// A small multi-producer, multi-consumer async queue for what the connection hands to the application (inbound
/// streams, received datagrams), in place of a <c>System.Threading.Channels</c> channel: an idle connection keeps one
/// object of a few fields here, where an unbounded channel keeps about 1.2 KiB (its ConcurrentQueue segment of 32
/// slots, reader and writer objects, a completion source). The item queue is created at the first item and the waiter's
/// <see cref="TaskCompletionSource"/> when a reader finds the queue empty. Thread-safe under its own monitor: writers
/// call it under the endpoint's lock, readers from any thread without it (it never takes the endpoint's lock, so the
/// order endpoint lock, then this one, is the only one). Items left when it is completed can still be read.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class AsyncQueue<T> where T : class
{
    private readonly int _capacity;
    private Queue<T>? _items;
    private TaskCompletionSource? _waiter; // readers wait on it while the queue is empty
    private bool _completed;
    private long _dropped;

    /// <summary>A queue of at most <paramref name="capacity"/> items; a write to a full one drops the oldest.</summary>
    public AsyncQueue(int capacity = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Items dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Items waiting (for tests).</summary>
    public int Count
    {
        get { lock (this) return _items?.Count ?? 0; }
    }

    /// <summary>Adds <paramref name="item"/>; false once completed. A full queue drops its oldest item first.</summary>
    public bool TryWrite(T item)
    {
        TaskCompletionSource? wake;
        lock (this)
        {
            if (_completed) return false;
            var items = _items ??= new Queue<T>();
            if (items.Count >= _capacity)
            {
                items.Dequeue();
                Interlocked.Increment(ref _dropped);
            }
            items.Enqueue(item);
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult(); // continuations run asynchronously: never inside the writer's locks
        return true;
    }

    /// <summary>No more items will come: readers get what is left, then null.</summary>
    public void Complete()
    {
        TaskCompletionSource? wake;
        lock (this)
        {
            _completed = true;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
    }

    /// <summary>The next item, waiting for one; null when the queue was completed and nothing is left.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (no item is taken).</exception>
    public ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Task wait;
        lock (this)
        {
            if (_items is { Count: > 0 } items) return new ValueTask<T?>(items.Dequeue());
            if (_completed) return new ValueTask<T?>((T?)null);
            wait = (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        return WaitThenReadAsync(wait, cancellationToken);
    }

    private async ValueTask<T?> WaitThenReadAsync(Task wait, CancellationToken cancellationToken)
    {
        while (true)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (this)
            {
                // Another reader may have taken the item that woke this one: wait again.
                if (_items is { Count: > 0 } items) return items.Dequeue();
                if (_completed) return null;
                wait = (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }
}
