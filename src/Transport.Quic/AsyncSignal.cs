namespace Transport.Quic;

/// <summary>
/// A re-armable wake-up: <see cref="Task"/> is completed by <see cref="Set"/>, and the next <see cref="Task"/> is a fresh
/// one. Touched only under the endpoint's lock. A <see cref="Set"/> while nobody has taken <see cref="Task"/> since the
/// last one does nothing: no waiter can miss it (a later <see cref="Task"/> is taken after the state it signals changed),
/// and a busy stream raises an event per packet or ACK, which must not cost an allocation each. The
/// <see cref="TaskCompletionSource"/> is created when a waiter takes <see cref="Task"/> and let go at the
/// <see cref="Set"/>, so a signal nobody waits on (an idle connection's, a stream's) holds none.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource? _tcs; // non-null while a waiter holds its Task

    public Task Task => (_tcs ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Set()
    {
        var taken = _tcs;
        if (taken is null) return;
        _tcs = null;
        taken.TrySetResult();
    }
}
