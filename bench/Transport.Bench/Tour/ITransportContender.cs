using System.Net;

namespace Transport.Bench.Tour;

/// <summary>
/// One stream transport the tour compares (kernel TCP, TCP + TLS 1.3, Transport's QUIC, System.Net.Quic). Every
/// measurement is written once against this interface and run over each available contender, in the same process, on
/// the same machine, in the same run. To add a contender: implement this, <see cref="ITourServer"/>,
/// <see cref="ITourConnection"/> and <see cref="ITourStream"/>, and register it in <see cref="ContenderRegistry"/>.
/// </summary>
internal interface ITransportContender
{
    /// <summary>The name printed in tables, charts and results.json (for example "kernel TCP").</summary>
    string Name { get; }

    /// <summary>Whether the contender can run on this machine, and why not when it cannot.</summary>
    ContenderAvailability Availability { get; }

    /// <summary>
    /// Starts a loopback server. Every stream a client opens is handed to <paramref name="handler"/> (on its own task);
    /// the stream is disposed when the handler returns.
    /// </summary>
    Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken);

    /// <summary>
    /// Connects to <paramref name="server"/>: when this returns, the connection is established (TCP handshake, TLS
    /// handshake, QUIC handshake), so the handshake measurement times exactly this plus the first byte.
    /// </summary>
    Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken);
}
