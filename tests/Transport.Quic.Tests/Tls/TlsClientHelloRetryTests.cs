using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

/// <summary>The client's side of HelloRetryRequest, driven by hand-made HelloRetryRequests.</summary>
public class TlsClientHelloRetryTests
{
    private static readonly byte[] RetryRandom = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");

    private static byte[] HelloRetryRequest(ushort suite, params byte[][] extensions)
    {
        byte[] exts = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, .. extensions.SelectMany(e => e)];
        byte[] body = [0x03, 0x03, .. RetryRandom, 0x00, (byte)(suite >> 8), (byte)suite, 0x00, (byte)(exts.Length >> 8), (byte)exts.Length, .. exts];
        return [2, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];
    }

    private static readonly byte[] KeyShareP256 = [0x00, 0x33, 0x00, 0x02, 0x00, 0x17];
    private static readonly byte[] KeyShareX25519 = [0x00, 0x33, 0x00, 0x02, 0x00, 0x1d];
    private static readonly byte[] Cookie = [0x00, 0x2c, 0x00, 0x05, 0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'];

    private static (TlsClientHandshake, RecordingListener) Started()
    {
        var listener = new RecordingListener();
        var client = new TlsClientHandshake(TlsTestOptions.Client(), TlsPair.ClientTransportParameters, listener);
        Assert.False(client.Start().IsError);
        return (client, listener);
    }

    [Fact]
    public void Retry_SendsSecondHelloWithNewShareAndCookie()
    {
        var (client, listener) = Started();
        TlsResult r = client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301, KeyShareP256, Cookie));
        Assert.False(r.IsError, r.ToString());
        Assert.Equal(2, listener.Outbox.Count);
        byte[] second = listener.Outbox[1].Data;
        Assert.Equal(1, second[0]);
        Assert.True(second.AsSpan().IndexOf(Cookie) > 0, "the cookie is echoed");
        Assert.True(second.AsSpan().IndexOf(new byte[] { 0x00, 0x17, 0x00, 0x41, 0x04 }) > 0, "a P-256 key share is sent");
        Assert.Equal(listener.Outbox[0].Data.AsSpan(6, 32).ToArray(), second.AsSpan(6, 32).ToArray()); // same random
        Assert.True(client.HelloRetryRequested);
    }

    [Fact]
    public void Retry_ForTheGroupAlreadyShared_IllegalParameter()
    {
        var (client, _) = Started();
        Assert.Equal(TlsAlert.IllegalParameter, client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301, KeyShareX25519)).Alert);
    }

    [Fact]
    public void Retry_AskingForNoChange_IllegalParameter()
    {
        var (client, _) = Started();
        Assert.Equal(TlsAlert.IllegalParameter, client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301)).Alert);
    }

    [Fact]
    public void SecondRetry_UnexpectedMessage()
    {
        var (client, _) = Started();
        Assert.False(client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301, KeyShareP256)).IsError);
        Assert.Equal(TlsAlert.UnexpectedMessage, client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301, Cookie)).Alert);
    }

    [Fact]
    public void Retry_WithUnofferedSuite_IllegalParameter()
    {
        var listener = new RecordingListener();
        var options = TlsTestOptions.Client();
        options.CipherSuites = [CipherSuite.Aes128GcmSha256];
        var client = new TlsClientHandshake(options, TlsPair.ClientTransportParameters, listener);
        client.Start();
        Assert.Equal(TlsAlert.IllegalParameter, client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1303, KeyShareP256)).Alert);
    }

    [Fact]
    public void Retry_WithUnknownExtension_UnsupportedExtension()
    {
        var (client, _) = Started();
        byte[] unknown = [0x12, 0x34, 0x00, 0x00];
        Assert.Equal(TlsAlert.UnsupportedExtension, client.ProcessCryptoData(EncryptionLevel.Initial, HelloRetryRequest(0x1301, KeyShareP256, unknown)).Alert);
    }
}
