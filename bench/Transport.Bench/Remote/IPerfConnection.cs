namespace Transport.Bench.Remote;

/// <summary>One client connection of the remote modes (a QUIC connection, or one TCP / TLS connection).</summary>
internal interface IPerfConnection : IAsyncDisposable
{
    /// <summary>
    /// Opens one perf-protocol exchange: a new bidirectional QUIC stream, or the TCP/TLS connection itself (once: the
    /// exchange ends with the connection's FIN).
    /// </summary>
    ValueTask<PerfExchange> OpenExchangeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One request of <paramref name="requestBytes"/> payload bytes asking for <paramref name="responseBytes"/>; returns
    /// once the whole response arrived (QUIC: a new stream each time; TCP/TLS: the request form on this connection).
    /// </summary>
    ValueTask RoundTripAsync(int requestBytes, int responseBytes, CancellationToken cancellationToken);
}
