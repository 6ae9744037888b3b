namespace Transport.Bench.Remote;

/// <summary>The transports the remote modes compare.</summary>
internal enum RemoteProtocol
{
    /// <summary>Transport's QUIC through its public API, speaking the perf protocol (ALPN "perf").</summary>
    Quic,

    /// <summary>Kernel TCP, the same framing over a whole connection.</summary>
    Tcp,

    /// <summary>TCP + TLS 1.3 (SslStream), the same framing.</summary>
    Tls,
}
