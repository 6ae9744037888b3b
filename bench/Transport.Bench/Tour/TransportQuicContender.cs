using System.Net;

namespace Transport.Bench.Tour;

/// <summary>
/// PLACEHOLDER for Transport's own QUIC: the connection, endpoint and public API are still being written, so this
/// contender reports itself unavailable and the tables print its row as "not implemented yet" (never figures). To plug
/// it in: map <see cref="StartServerAsync"/> to a listener on 127.0.0.1:0, <see cref="ConnectAsync"/> to a completed
/// handshake, <see cref="ITourConnection.OpenStreamAsync"/> to a bidirectional stream and
/// <see cref="ITourStream.CompleteWritesAsync"/> to a FIN, then set the availability to available.
/// </summary>
internal sealed class TransportQuicContender : ITransportContender
{
    public string Name => "Transport QUIC";

    public ContenderAvailability Availability =>
        ContenderAvailability.Unavailable("not implemented yet (the Transport QUIC connection API is being written)");

    public Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Name} is {Availability.Reason}.");

    public Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Name} is {Availability.Reason}.");
}
