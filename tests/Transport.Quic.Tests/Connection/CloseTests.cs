using System.Net.Security;
using Transport.Quic.Connection;
using Transport.Quic.Tls;
using Transport.Quic.Tests.Tls;

namespace Transport.Quic.Tests.Connection;

public class CloseTests
{
    [Fact]
    public void Alpn_mismatch_closes_with_the_tls_alert_as_crypto_error()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => o.ClientTls!.ApplicationProtocols = [new SslApplicationProtocol("other")]),
            ConnectionPair.ServerOptions());
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated, 20_000));
        // RFC 9001 §4.8: CRYPTO_ERROR 0x100 + alert; no_application_protocol is alert 120.
        var server = Assert.Single(pair.ServerEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.LocalTransportError, server.CloseSource);
        Assert.Equal(0x100UL + 120, server.ErrorCode);
        var client = Assert.Single(pair.ClientEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.Peer, client.CloseSource);
        Assert.Equal(0x100UL + 120, client.ErrorCode);
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void A_certificate_that_does_not_match_the_pin_closes_with_bad_certificate()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(),
            ConnectionPair.ServerOptions(certificate: TestCertificates.OtherEcdsa));
        Assert.True(pair.RunUntil(() => pair.Client.IsTerminated && pair.Server.IsTerminated, 20_000));
        var client = Assert.Single(pair.ClientEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.LocalTransportError, client.CloseSource);
        Assert.Equal(0x100UL + (ulong)TlsAlert.BadCertificate, client.ErrorCode);
        var server = Assert.Single(pair.ServerEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.Peer, server.CloseSource);
        Assert.Equal(0x100UL + (ulong)TlsAlert.BadCertificate, server.ErrorCode);
    }

    [Fact]
    public void A_lost_connection_close_is_sent_again_when_the_peer_keeps_sending()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Server.TryOpenStream(false, out long id));
        pair.Server.WriteStream(id, new byte[30_000]);
        pair.Client.Close(9, "first close is lost");
        bool droppedOne = false;
        pair.Drop = (fromClient, _) =>
        {
            if (!fromClient || droppedOne) return false;
            droppedOne = true;
            return true;
        };
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Any(e => e.Kind == ConnectionEventKind.Closed), 20_000));
        Assert.True(droppedOne);
        var closed = pair.ServerEvents.Single(e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.Peer, closed.CloseSource);
        Assert.Equal(9UL, closed.ErrorCode);
        Assert.Throws<InvalidOperationException>(() => pair.Client.TryOpenStream(true, out _));
    }
}

public class TransportParameterTests
{
    [Fact]
    public void A_server_whose_original_destination_connection_id_does_not_match_is_refused()
    {
        // The server is told a different original DCID than the client used: its transport parameter cannot match.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(), useRetry: false, wrongServerOdcid: true);
        Assert.True(pair.RunUntil(() => pair.Client.IsClosed, 20_000));
        var closed = Assert.Single(pair.ClientEvents, e => e.Kind == ConnectionEventKind.Closed);
        Assert.Equal(ConnectionCloseSource.LocalTransportError, closed.CloseSource);
        Assert.Equal((ulong)TransportErrorCode.TransportParameterError, closed.ErrorCode);
        Assert.False(pair.Client.IsHandshakeComplete);
    }
}
