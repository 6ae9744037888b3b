namespace Transport.Bench.Remote;

/// <summary>Connects client connections of one protocol to the server.</summary>
internal interface IPerfClientTransport : IAsyncDisposable
{
    RemoteProtocol Protocol { get; }

    /// <summary>Whether parallel exchanges share one connection (QUIC streams) or each needs its own (TCP, TLS).</summary>
    bool ExchangesShareConnection { get; }

    /// <summary>Connects; returns once the handshake (TCP, TLS, QUIC) is complete.</summary>
    Task<IPerfConnection> ConnectAsync(CancellationToken cancellationToken);
}
