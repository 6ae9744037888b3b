using System.Threading.Tasks.Sources;

namespace Transport.Quic;

/// <summary>
/// A stream side's wake-up for its one waiter (the reader or the writer), as a reusable <see cref="IValueTaskSource"/>:
/// no <see cref="TaskCompletionSource"/> per wait and no <c>Task.WaitAsync</c> promise per cancellable wait (the
/// 64-byte ping-pong allocated both for every read that waited). <see cref="Arm"/> and <see cref="Set"/> run under the
/// endpoint's lock; cancellation comes from any thread and races <see cref="Set"/> through <see cref="_state"/>.
/// Continuations run asynchronously (never under the lock), except on a receive thread of an endpoint with inline
/// completions (<see cref="QuicListenerOptions.InlineCompletions"/>): there <see cref="Set"/> only records the wait, and
/// <see cref="CompleteDeferred"/> completes it after the batch, outside the lock, running its continuation on that thread.
/// </summary>
internal sealed class StreamSignal : IValueTaskSource
{
    [ThreadStatic] private static bool t_deferring;             // this thread is a receive thread inside a batch of an inline-completion endpoint
    [ThreadStatic] private static List<StreamSignal>? t_deferred; // the waits Set released meanwhile, completed by CompleteDeferred

    /// <summary>On a receive thread before its batch's events are dispatched: <see cref="Set"/> defers until <see cref="CompleteDeferred"/>.</summary>
    internal static void BeginDeferring() => t_deferring = true;

    /// <summary>
    /// On the same receive thread after the batch, outside the lock: completes the waits <see cref="Set"/> released, running
    /// their continuations here, one after the other, each until its next pending await. Exceptions a continuation throws
    /// (an async method catches its own; only a foreign awaiter's could) are swallowed: they must not stop the receive loop.
    /// </summary>
    internal static void CompleteDeferred()
    {
        t_deferring = false;
        if (t_deferred is not { Count: > 0 } list) return;
        // A continuation may run a nested batch's end on this thread only after this returns (the receive loop is here),
        // but it can Set other signals: those complete the usual (asynchronous) way, t_deferring being false.
        for (int i = 0; i < list.Count; i++)
        {
            StreamSignal signal = list[i];
            list[i] = null!;
            try
            {
                signal.Complete(inline: true);
            }
            catch (Exception)
            {
                // See the summary.
            }
        }
        list.Clear();
    }

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
        _source.RunContinuationsAsynchronously = true;
        _consumed = false;
        _armed = true;
        Volatile.Write(ref _state, 0);
        return new ValueTask(this, _source.Version);
    }

    /// <summary>Under the lock: completes the outstanding wait, if any; nothing otherwise.</summary>
    public void Set()
    {
        if (TryClaim()) Release();
    }

    /// <summary>
    /// Under the lock, the first half of <see cref="Set"/>: true when a wait is outstanding and this call, not its
    /// cancellation, completes it; the caller may then hand the waiter a result (a read's bytes) before <see cref="Release"/>.
    /// False: nothing waits, or the cancellation came first (the waiter gets <see cref="OperationCanceledException"/>).
    /// </summary>
    public bool TryClaim()
    {
        if (!_armed) return false;
        _armed = false;
        return Interlocked.Exchange(ref _state, 1) == 0;
    }

    /// <summary>
    /// Under the lock, after <see cref="TryClaim"/> returned true: resumes the waiter (on the thread pool, or, on a
    /// receive thread that defers, in <see cref="CompleteDeferred"/>).
    /// </summary>
    public void Release()
    {
        if (t_deferring)
        {
            (t_deferred ??= new List<StreamSignal>()).Add(this);
            return;
        }
        Complete(inline: false);
    }

    private void Complete(bool inline)
    {
        _source.RunContinuationsAsynchronously = !inline;
        _source.SetResult(true);
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
