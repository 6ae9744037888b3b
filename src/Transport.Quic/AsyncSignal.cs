namespace Transport.Quic;

/// <summary>A re-armable wake-up: <see cref="Task"/> is completed by <see cref="Set"/>, which arms a fresh one. Touched only under the endpoint's lock.</summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _tcs.Task;

    public void Set()
    {
        var old = _tcs;
        _tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}
