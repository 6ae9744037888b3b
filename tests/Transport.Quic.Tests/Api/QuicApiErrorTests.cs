using Transport.Quic.Connection;
using Transport.Quic.Tests.Connection;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Api;

public class QuicApiErrorTests
{
    [Fact]
    public async Task PeerClose_WithApplicationCode_IsConnectionAborted_FromPeer()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;
        await client.CloseAsync(42, cts.Token);

        var ex = await Assert.ThrowsAsync<QuicException>(async () => await server.AcceptInboundStreamAsync(cts.Token));
        Assert.Equal(QuicError.ConnectionAborted, ex.Error);
        Assert.Equal(ConnectionCloseSource.Peer, ex.CloseSource);
        Assert.Equal(42UL, ex.ApplicationErrorCode);
        Assert.Null(ex.TransportErrorCode);
        Assert.Contains("peer", ex.Message);
        Assert.Contains("0x2a", ex.Message);

        // The closing side learns its own close too, and operations after it fail the same way.
        var local = await Assert.ThrowsAsync<QuicException>(async () => await client.OpenOutboundStreamAsync(true, cts.Token));
        Assert.Equal(ConnectionCloseSource.Local, local.CloseSource);
        Assert.Equal(42UL, local.ApplicationErrorCode);
    }

    [Fact]
    public async Task IdleTimeout_IsConnectionIdle()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token, o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        await using var server = await accepted;

        var ex = await Assert.ThrowsAsync<QuicException>(async () => await client.AcceptInboundStreamAsync(cts.Token));
        Assert.Equal(QuicError.ConnectionIdle, ex.Error);
        Assert.Equal(ConnectionCloseSource.IdleTimeout, ex.CloseSource);
        Assert.Contains("idle", ex.Message);
        // The server uses the smaller of both idle timeouts (RFC 9000 §10.1) and times out too.
        var serverEx = await Assert.ThrowsAsync<QuicException>(async () => await server.AcceptInboundStreamAsync(cts.Token));
        Assert.Equal(QuicError.ConnectionIdle, serverEx.Error);
    }

    [Fact]
    public async Task Handshake_WrongCertificatePin_IsHandshakeFailed_WithBadCertificateAlert()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var ex = await Assert.ThrowsAsync<QuicException>(async () => await ApiTest.Connect(listener, cts.Token,
            o => o.ClientTls!.PinnedCertificateSha256 = [new byte[32]]));
        Assert.Equal(QuicError.HandshakeFailed, ex.Error);
        Assert.Equal(ConnectionCloseSource.LocalTransportError, ex.CloseSource);
        Assert.Equal(TlsAlert.BadCertificate, ex.TlsAlert);
        Assert.Equal(0x100UL + 42, ex.TransportErrorCode);
        Assert.Contains("bad_certificate", ex.Message);
    }

    [Fact]
    public async Task Handshake_UntrustedRoot_IsHandshakeFailed_WithUnknownCaAlert()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var ex = await Assert.ThrowsAsync<QuicException>(async () => await ApiTest.Connect(listener, cts.Token, o =>
        {
            o.ClientTls!.PinnedCertificateSha256 = [];
            o.ClientTls.TrustedRoots = [Transport.Quic.Tests.Tls.TestCertificates.OtherEcdsa]; // not the server's issuer
        }));
        Assert.Equal(QuicError.HandshakeFailed, ex.Error);
        Assert.Equal(ConnectionCloseSource.LocalTransportError, ex.CloseSource);
        Assert.Equal(TlsAlert.UnknownCa, ex.TlsAlert);
        Assert.Contains("unknown_ca", ex.Message);
    }

    [Fact]
    public async Task Handshake_WrongAlpn_IsHandshakeFailed_WithPeersNoApplicationProtocolAlert()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var ex = await Assert.ThrowsAsync<QuicException>(async () => await ApiTest.Connect(listener, cts.Token,
            o => o.ClientTls!.ApplicationProtocols = [new System.Net.Security.SslApplicationProtocol("not-served")]));
        Assert.Equal(QuicError.HandshakeFailed, ex.Error);
        Assert.Equal(ConnectionCloseSource.Peer, ex.CloseSource);
        Assert.Equal(TlsAlert.NoApplicationProtocol, ex.TlsAlert);
        Assert.Equal(0x178UL, ex.TransportErrorCode);
        Assert.Contains("no_application_protocol", ex.Message);
    }

    [Fact]
    public async Task PeerResetStream_ReadThrowsStreamAborted_WithCode()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;

        await using var cs = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
        await cs.WriteAsync(new byte[] { 1, 2, 3 }, cts.Token);
        await using var ss = await server.AcceptInboundStreamAsync(cts.Token);
        var buffer = new byte[3];
        await ss.ReadExactlyAsync(buffer, cts.Token);
        cs.Abort(QuicAbortDirection.Write, 77);

        var ex = await Assert.ThrowsAsync<QuicException>(async () => _ = await ss.ReadAsync(buffer, cts.Token));
        Assert.Equal(QuicError.StreamAborted, ex.Error);
        Assert.Equal(77UL, ex.ApplicationErrorCode);
        Assert.Contains("RESET_STREAM", ex.Message);
        // This side's own later write fails as aborted.
        var own = await Assert.ThrowsAsync<QuicException>(async () => await cs.WriteAsync(new byte[1], cts.Token));
        Assert.Equal(QuicError.OperationAborted, own.Error);
    }

    [Fact]
    public async Task PeerStopSending_WriteThrowsStreamStopped_WithCode()
    {
        using var cts = new CancellationTokenSource(ApiTest.Deadline);
        await using var listener = await ApiTest.Listen(ct: cts.Token);
        var accepted = listener.AcceptConnectionAsync(cts.Token).AsTask();
        await using var client = await ApiTest.Connect(listener, cts.Token);
        await using var server = await accepted;

        await using var cs = await client.OpenOutboundStreamAsync(bidirectional: true, cts.Token);
        await cs.WriteAsync(new byte[] { 1 }, cts.Token);
        await using var ss = await server.AcceptInboundStreamAsync(cts.Token);
        ss.Abort(QuicAbortDirection.Read, 88);

        // Writes succeed until the STOP_SENDING arrives, then fail with its code.
        var ex = await Assert.ThrowsAsync<QuicException>(async () =>
        {
            while (true) await cs.WriteAsync(new byte[1024], cts.Token);
        });
        Assert.Equal(QuicError.StreamStopped, ex.Error);
        Assert.Equal(88UL, ex.ApplicationErrorCode);
        Assert.Contains("STOP_SENDING", ex.Message);
        var own = await Assert.ThrowsAsync<QuicException>(async () => _ = await ss.ReadAsync(new byte[1], cts.Token));
        Assert.Equal(QuicError.OperationAborted, own.Error);
    }
}
