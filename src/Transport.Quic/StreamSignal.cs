using System.Threading.Tasks.Sources;

namespace Transport.Quic;

/// <summary>
/// A stream side's wake-up for its one waiter (the reader or the writer), as a reusable <see cref="IValueTaskSource"/>:
/// no <see cref="TaskCompletionSource"/> per wait and no <c>Task.WaitAsync</c> promise per cancellable wait (the
/// 64-byte ping-pong allocated both for every read that waited). <see cref="Arm"/> and <see cref="Set"/> run under the
/// endpoint's lock; cancellation comes from any thread and races <see cref="Set"/> through <see cref="_state"/>.
/// Continuations run asynchronously (never under the lock).
/// </summary>
internal sealed class StreamSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _source = new() { RunContinuationsAsynchronously = true };
    private bool _armed;      // under the lock: a wait is outstanding that Set has not completed
    private bool _consumed = true; // the last armed wait was awaited to the end (GetResult): the source may be reset
    private int _state;       // 0 waiting, 1 completed (by Set or by cancellation) for the current wait
    private CancellationToken _cancellationToken;

    /// <summary>
    /// Under the lock: a wait that <see cref="Set"/> completes. One at a time: a second waiter while the first has not
    /// finished is a misuse of the stream (two concurrent reads or writes).
    /// </summary>
    /// <exception cref="InvalidOperationException">A wait is still outstanding.</exception>
    public ValueTask Arm(string operation)
    {
        if (!_consumed) throw new InvalidOperationException($"Another {operation} is already pending on this stream: one {operation} at a time.");
        _source.Reset();
        _consumed = false;
        _armed = true;
        Volatile.Write(ref _state, 0);
        return new ValueTask(this, _source.Version);
    }

    /// <summary>Under the lock: completes the outstanding wait, if any; nothing otherwise.</summary>
    public void Set()
    {
        if (!_armed) return;
        _armed = false;
        if (Interlocked.Exchange(ref _state, 1) == 0) _source.SetResult(true);
    }

    /// <summary>
    /// Outside the lock, before awaiting the wait from <see cref="Arm"/>: fails it with
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first. Dispose the
    /// registration once the wait completed (before the next <see cref="Arm"/>).
    /// </summary>
    public CancellationTokenRegistration RegisterCancellation(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled) return default;
        _cancellationToken = cancellationToken;
        return cancellationToken.UnsafeRegister(static s => ((StreamSignal)s!).Cancel(), this);
    }

    private void Cancel()
    {
        if (Interlocked.Exchange(ref _state, 1) == 0) _source.SetException(new OperationCanceledException(_cancellationToken));
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _source.GetResult(token);
        }
        finally
        {
            _consumed = true;
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
