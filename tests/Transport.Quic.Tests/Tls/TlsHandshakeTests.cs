using System.Net.Security;
using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

public class TlsHandshakeTests
{
    public static TheoryData<CipherSuite, TlsNamedGroup, bool> SuiteGroupCert()
    {
        var data = new TheoryData<CipherSuite, TlsNamedGroup, bool>();
        foreach (CipherSuite s in new[] { CipherSuite.Aes128GcmSha256, CipherSuite.Aes256GcmSha384, CipherSuite.ChaCha20Poly1305Sha256 })
            foreach (TlsNamedGroup g in new[] { TlsNamedGroup.X25519, TlsNamedGroup.Secp256r1, TlsNamedGroup.Secp384r1 })
                foreach (bool rsa in new[] { false, true })
                    data.Add(s, g, rsa);
        return data;
    }

    [Theory]
    [MemberData(nameof(SuiteGroupCert))]
    public void FullHandshake_EachSuiteGroupAndCertificate_DerivesIdenticalSecrets(CipherSuite suite, TlsNamedGroup group, bool rsa)
    {
        var cert = rsa ? TestCertificates.Rsa : TestCertificates.Ecdsa;
        var client = TlsTestOptions.Client(cert);
        client.CipherSuites = [suite];
        client.Groups = [group];
        var server = TlsTestOptions.Server(cert);
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(suite, pair.Client.CipherSuite);
        Assert.Equal(group, pair.Client.NegotiatedGroup);
        Assert.Equal(group, pair.Server.NegotiatedGroup);
        Assert.False(pair.Client.HelloRetryRequested);
        Assert.Equal(cert.RawData, pair.Client.PeerCertificate!.RawData);
        Assert.Equal(TlsTestOptions.Alpn, pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(TestCertificates.Name, pair.Server.ClientServerName);
        Assert.False(pair.Client.IsResumed);
    }

    [Fact]
    public void FullHandshake_OrderOfEvents_FollowsRfc9001()
    {
        using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(
            ["data:Initial:1", "read:Handshake", "write:Handshake", "tp", "read:OneRtt", "write:OneRtt", "data:Handshake:20", "complete"],
            pair.ClientListener.Events);
        Assert.Equal(
            ["tp", "data:Initial:2", "write:Handshake", "read:Handshake", "data:Handshake:8", "data:Handshake:11", "data:Handshake:15",
             "data:Handshake:20", "write:OneRtt", "read:OneRtt", "complete"],
            pair.ServerListener.Events);
    }

    [Fact]
    public void ClientPrefersX25519_AndOffersItFirst()
    {
        using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(TlsNamedGroup.X25519, pair.Client.NegotiatedGroup);
        Assert.Equal(CipherSuite.Aes128GcmSha256, pair.Client.CipherSuite);
    }

    [Fact]
    public void ChaCha20OnlyClient_OffersOnly0x1303()
    {
        var client = TlsTestOptions.Client();
        client.CipherSuites = [CipherSuite.ChaCha20Poly1305Sha256];
        using var pair = new TlsPair(client, TlsTestOptions.Server());
        pair.Run();
        pair.AssertSuccess();
        byte[] hello = pair.ClientListener.Outbox[0].Data;
        int sessionIdLength = hello[4 + 2 + 32];
        int at = 4 + 2 + 32 + 1 + sessionIdLength;
        Assert.Equal([0x00, 0x02, 0x13, 0x03], hello.AsSpan(at, 4).ToArray());
        Assert.Equal(0, sessionIdLength); // RFC 9001 §8.4
        Assert.Equal(CipherSuite.ChaCha20Poly1305Sha256, pair.Server.CipherSuite);
    }

    [Fact]
    public void ServerChoosesSuiteByItsOwnPreference()
    {
        var server = TlsTestOptions.Server();
        server.CipherSuites = [CipherSuite.ChaCha20Poly1305Sha256, CipherSuite.Aes256GcmSha384];
        using var pair = new TlsPair(TlsTestOptions.Client(), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(CipherSuite.ChaCha20Poly1305Sha256, pair.Client.CipherSuite);
    }

    [Fact]
    public void Alpn_ServerPicksItsPreferredCommonProtocol()
    {
        var client = TlsTestOptions.Client();
        client.ApplicationProtocols = [new SslApplicationProtocol("a"), new SslApplicationProtocol("b"), new SslApplicationProtocol("c")];
        var server = TlsTestOptions.Server();
        server.ApplicationProtocols = [new SslApplicationProtocol("x"), new SslApplicationProtocol("c"), new SslApplicationProtocol("b")];
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(new SslApplicationProtocol("c"), pair.Client.NegotiatedApplicationProtocol);
    }

    [Fact]
    public void ByteByByteDelivery_Works()
    {
        using var pair = new TlsPair(TlsTestOptions.Client(TestCertificates.Rsa), TlsTestOptions.Server(TestCertificates.Rsa));
        pair.Chunker = data => data.Select(b => new[] { b });
        pair.Run();
        pair.AssertSuccess();
    }

    [Fact]
    public void CoalescedDelivery_ManyMessagesInOneCall_Works()
    {
        // The server's whole Handshake flight in one call, as a connection would deliver one big CRYPTO frame.
        using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        Assert.False(pair.Client.Start().IsError);
        var (level, hello) = pair.ClientListener.Outbox[0];
        Assert.False(pair.Server.ProcessCryptoData(level, hello).IsError);
        byte[] initial = pair.ServerListener.Outbox.Where(o => o.Level == EncryptionLevel.Initial).SelectMany(o => o.Data).ToArray();
        byte[] handshake = pair.ServerListener.Outbox.Where(o => o.Level == EncryptionLevel.Handshake).SelectMany(o => o.Data).ToArray();
        Assert.False(pair.Client.ProcessCryptoData(EncryptionLevel.Initial, initial).IsError);
        Assert.False(pair.Client.ProcessCryptoData(EncryptionLevel.Handshake, handshake).IsError);
        Assert.True(pair.Client.IsHandshakeComplete);
        byte[] finished = pair.ClientListener.Outbox.Last().Data;
        Assert.False(pair.Server.ProcessCryptoData(EncryptionLevel.Handshake, finished).IsError);
        Assert.True(pair.Server.IsHandshakeComplete);
    }

    [Fact]
    public void RandomChunking_AlwaysCompletes()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var random = new Random(seed);
            using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
            pair.Chunker = data => Split(data, random);
            pair.Run();
            pair.AssertSuccess();
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    private static IEnumerable<byte[]> Split(byte[] data, Random random)
    {
        int at = 0;
        while (at < data.Length)
        {
            int n = Math.Min(data.Length - at, random.Next(1, 40));
            yield return data.AsSpan(at, n).ToArray();
            at += n;
        }
    }

    [Fact]
    public void HelloRetryRequest_WhenServerLacksClientsKeyShareGroup()
    {
        var client = TlsTestOptions.Client();
        client.Groups = [TlsNamedGroup.X25519, TlsNamedGroup.Secp256r1];
        var server = TlsTestOptions.Server();
        server.Groups = [TlsNamedGroup.Secp256r1];
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.HelloRetryRequested);
        Assert.True(pair.Server.HelloRetryRequested);
        Assert.Equal(TlsNamedGroup.Secp256r1, pair.Client.NegotiatedGroup);
        // Two ClientHellos at Initial; the server sent HRR then ServerHello.
        Assert.Equal(2, pair.ClientListener.Outbox.Count(o => o.Level == EncryptionLevel.Initial));
        Assert.Equal(2, pair.ServerListener.Outbox.Count(o => o.Level == EncryptionLevel.Initial));
    }

    [Theory]
    [InlineData(CipherSuite.Aes256GcmSha384)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256)]
    public void HelloRetryRequest_WithEachHash(CipherSuite suite)
    {
        var client = TlsTestOptions.Client(TestCertificates.Rsa);
        client.CipherSuites = [suite];
        var server = TlsTestOptions.Server(TestCertificates.Rsa);
        server.Groups = [TlsNamedGroup.Secp384r1];
        client.Groups = [TlsNamedGroup.X25519, TlsNamedGroup.Secp384r1];
        using var pair = new TlsPair(client, server);
        pair.Byte_by_byte_if(true);
        pair.Run();
        pair.AssertSuccess();
        Assert.True(pair.Client.HelloRetryRequested);
    }

    [Fact]
    public void KeyLog_WritesNssLinesThatMatchTheSecrets()
    {
        var clientLines = new List<string>();
        var serverLines = new List<string>();
        var client = TlsTestOptions.Client();
        client.KeyLog = clientLines.Add;
        var server = TlsTestOptions.Server();
        server.KeyLog = serverLines.Add;
        using var pair = new TlsPair(client, server);
        pair.Run();
        pair.AssertSuccess();

        string random = Convert.ToHexStringLower(pair.ClientListener.Outbox[0].Data.AsSpan(6, 32));
        var expected = new Dictionary<string, byte[]>
        {
            ["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] = pair.ClientListener.WriteSecrets[EncryptionLevel.Handshake].Secret,
            ["SERVER_HANDSHAKE_TRAFFIC_SECRET"] = pair.ClientListener.ReadSecrets[EncryptionLevel.Handshake].Secret,
            ["CLIENT_TRAFFIC_SECRET_0"] = pair.ClientListener.WriteSecrets[EncryptionLevel.OneRtt].Secret,
            ["SERVER_TRAFFIC_SECRET_0"] = pair.ClientListener.ReadSecrets[EncryptionLevel.OneRtt].Secret,
        };
        foreach (var lines in new[] { clientLines, serverLines })
        {
            Assert.Equal(4, lines.Count);
            foreach (var (label, secret) in expected)
                Assert.Contains($"{label} {random} {Convert.ToHexStringLower(secret)}", lines);
        }
    }

    [Fact]
    public void Options_WithoutAlpn_AreRejected()
    {
        var client = TlsTestOptions.Client();
        client.ApplicationProtocols = [];
        Assert.Throws<ArgumentException>(() => new TlsClientHandshake(client, TlsPair.ClientTransportParameters, new RecordingListener()));
        var server = TlsTestOptions.Server();
        server.ServerCertificate = null;
        Assert.Throws<ArgumentException>(() => new TlsServerHandshake(server, TlsPair.ServerTransportParameters, new RecordingListener()));
    }
}

internal static class TlsPairExtensions
{
    public static void Byte_by_byte_if(this TlsPair pair, bool on)
    {
        if (on) pair.Chunker = data => data.Select(b => new[] { b });
    }
}
