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

public class RetryTests
{
    [Fact]
    public void Client_follows_a_retry_and_both_sides_authenticate_it()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), useRetry: true);
        Assert.True(pair.CompleteHandshake());
        Assert.Equal(1, pair.RetrySentCount);
        Assert.Equal(pair.Client.OriginalDestinationConnectionId, pair.Client.PeerTransportParameters!.OriginalDestinationConnectionId);
        Assert.NotNull(pair.Client.PeerTransportParameters.RetrySourceConnectionId);
        var app = new TransferApp(pair, 10_000);
        app.OpenStreams(1);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0, 10_000));
        Assert.Empty(app.Errors);
    }

    [Fact]
    public void A_retry_with_a_bad_integrity_tag_is_ignored()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        var buffer = new byte[1500];
        Assert.True(pair.Client.PollTransmit(pair.Now, buffer, out _) > 0);
        var retry = new byte[Transport.Quic.Packets.RetryPacket.GetLength(8, 8, 4)];
        Transport.Quic.Packets.RetryPacket.TryWrite(retry, Transport.Quic.Packets.QuicVersion.Version1, pair.Client.LocalConnectionId.Span, new byte[8], "abcd"u8, 0, out _);
        pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, retry); // tag left zero
        Assert.Equal(1, pair.Client.GetStatistics().PacketsDropped);
        Assert.Equal(pair.Client.OriginalDestinationConnectionId, pair.Client.RemoteConnectionId);
    }

    [Fact]
    public void Version_negotiation_without_v1_ends_the_client()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        var buffer = new byte[1500];
        Assert.True(pair.Client.PollTransmit(pair.Now, buffer, out _) > 0);
        // RFC 9000 §17.2.1: header form 1, version 0, DCID = client's SCID, SCID, then versions.
        var vn = new List<byte> { 0x80, 0, 0, 0, 0, (byte)pair.Client.LocalConnectionId.Length };
        vn.AddRange(pair.Client.LocalConnectionId.Span.ToArray());
        vn.Add(8);
        vn.AddRange(pair.Client.OriginalDestinationConnectionId.Span.ToArray());
        vn.AddRange(new byte[] { 0xff, 0x00, 0x00, 0x1d });
        pair.Client.HandleDatagram(pair.Now, ConnectionPair.ServerAddress, vn.ToArray());
        Assert.True(pair.Client.IsTerminated);
        Assert.Contains(pair.Client.PollEvents(), e => e is { Kind: ConnectionEventKind.Closed, CloseSource: ConnectionCloseSource.VersionNegotiation });
    }
}
