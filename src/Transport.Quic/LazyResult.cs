namespace Transport.Quic;

/// <summary>
/// A result the connection learns once (early data accepted, the first session ticket, a NEW_TOKEN) and a
/// <see cref="Task{TResult}"/> for it that exists only when someone asks: an idle connection nobody waits on keeps no
/// <see cref="TaskCompletionSource{TResult}"/> (about 100 bytes each). Held as a mutable field (never copied).
/// <see cref="TrySet"/> is called under the endpoint's lock; <see cref="Task"/> from any thread. The two publish in
/// opposite order behind full fences (the result, then a look at the source; the source, then a look at the result), so
/// at least one of them completes a source created concurrently with the result.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
internal struct LazyResult<T>
{
    private TaskCompletionSource<T>? _source;
    private T _value;
    private int _isSet;

    /// <summary>True once a result was set.</summary>
    public bool IsSet => Volatile.Read(ref _isSet) != 0;

    /// <summary>Sets the result unless one was set (under the endpoint's lock: setters never race each other).</summary>
    public bool TrySet(T value)
    {
        if (Volatile.Read(ref _isSet) != 0) return false;
        _value = value;
        Interlocked.Exchange(ref _isSet, 1); // full fence: the value is visible before the flag, and the flag before the read below
        if (Volatile.Read(ref _source) is { } source)
        {
            source.TrySetResult(value);
            Volatile.Write(ref _source, null); // completed: later askers get a completed task of their own
        }
        return true;
    }

    /// <summary>A task of the result: completed when it is known, else one that completes when it is set.</summary>
    public Task<T> Task
    {
        get
        {
            if (Volatile.Read(ref _source) is { } existing) return existing.Task;
            if (Volatile.Read(ref _isSet) != 0) return System.Threading.Tasks.Task.FromResult(_value);
            var created = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            var source = Interlocked.CompareExchange(ref _source, created, null) ?? created; // full fence before the look at the flag
            if (Volatile.Read(ref _isSet) != 0) source.TrySetResult(_value);
            return source.Task;
        }
    }
}
