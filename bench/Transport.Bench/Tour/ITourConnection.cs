namespace Transport.Bench.Tour;

/// <summary>
/// A client connection that opens bidirectional byte streams. For QUIC these are streams of one connection; for TCP
/// they are either one TCP connection each or logical flows multiplexed over one TCP connection (see
/// <see cref="TcpStreamMode"/>).
/// </summary>
internal interface ITourConnection : IAsyncDisposable
{
    /// <summary>Opens a new bidirectional stream; the server's handler sees it once the first bytes arrive.</summary>
    ValueTask<ITourStream> OpenStreamAsync(CancellationToken cancellationToken);
}
