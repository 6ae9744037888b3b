namespace Transport.Bench.Remote;

/// <summary>
/// One perf-protocol exchange on the client: write the 8-byte header and any upload through <see cref="Stream"/>, end
/// it with <see cref="CompleteWritesAsync"/> (FIN / close_notify), read the response until the end of the stream, or
/// stop reading early with <see cref="AbortRead"/> (QUIC STOP_SENDING; TCP/TLS: the connection is reset).
/// </summary>
internal sealed class PerfExchange(Stream stream, Func<ValueTask> completeWrites, Action abortRead, Func<ValueTask> dispose) : IAsyncDisposable
{
    private int _disposed;

    public Stream Stream => stream;

    public ValueTask CompleteWritesAsync() => completeWrites();

    public void AbortRead() => abortRead();

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? dispose() : ValueTask.CompletedTask;
}
