using Transport.Core.Simulation;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

public class HandshakeTests
{
    [Fact]
    public void Handshake_completes_and_both_sides_agree_on_alpn_and_parameters()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.IdleTimeout = TimeSpan.FromSeconds(20); o.MaxBidirectionalStreams = 7; }),
            ConnectionPair.ServerOptions(o => { o.IdleTimeout = TimeSpan.FromSeconds(10); o.MaxUnidirectionalStreams = 3; }));
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(ConnectionPair.Alpn, pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(ConnectionPair.Alpn, pair.Server.NegotiatedApplicationProtocol);
        Assert.Equal(10_000UL, pair.Client.PeerTransportParameters!.MaxIdleTimeoutMs);
        Assert.Equal(20_000UL, pair.Server.PeerTransportParameters!.MaxIdleTimeoutMs);
        Assert.Equal(7UL, pair.Server.PeerTransportParameters.InitialMaxStreamsBidi);
        Assert.Equal(3UL, pair.Client.PeerTransportParameters.InitialMaxStreamsUni);
        // RFC 9000 §7.2: the client switched to the server's connection ID.
        Assert.Equal(pair.Server.LocalConnectionId, pair.Client.RemoteConnectionId);
        Assert.Equal(pair.Client.LocalConnectionId, pair.Server.RemoteConnectionId);
        Assert.Equal(3, pair.Client.GetAvailableStreamCount(bidirectional: false));
        Assert.Equal(7, pair.Server.GetAvailableStreamCount(bidirectional: true));
        Assert.Contains(pair.ClientEvents, e => e.Kind == ConnectionEventKind.HandshakeCompleted);
        Assert.Contains(pair.ServerEvents, e => e.Kind == ConnectionEventKind.HandshakeConfirmed);
        Assert.False(pair.AmplificationViolated);
        Assert.Equal(0, pair.Client.GetStatistics().PacketsDropped);
    }
}

public class AmplificationTests
{
    [Fact]
    public void A_large_server_flight_waits_for_address_validation()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(bigFlight: true));
        Assert.True(pair.CompleteHandshake());
        Assert.False(pair.AmplificationViolated);
        // The flight did not fit in 3x the client's first datagram: the server had to stop and wait.
        Assert.True(pair.ServerBytesSentBeforeValidation > 2400, $"sent {pair.ServerBytesSentBeforeValidation} before validation");
        Assert.True(pair.Server.GetStatistics().BytesSent > 3 * 1200, $"server sent {pair.Server.GetStatistics().BytesSent}");
    }
}
