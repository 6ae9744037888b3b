namespace Transport.Quic;

/// <summary>
/// A re-armable wake-up: <see cref="Task"/> is completed by <see cref="Set"/>, which arms a fresh one. Touched only under
/// the endpoint's lock. A <see cref="Set"/> while nobody has taken <see cref="Task"/> since the last one does nothing: no
/// waiter can miss it (a later <see cref="Task"/> is taken after the state it signals changed), and a busy stream raises
/// an event per packet or ACK, which must not cost an allocation each.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _taken;

    public Task Task
    {
        get
        {
            _taken = true;
            return _tcs.Task;
        }
    }

    public void Set()
    {
        if (!_taken) return;
        _taken = false;
        var old = _tcs;
        _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}
