using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

/// <summary>Records everything a handshake hands to its connection.</summary>
internal sealed class RecordingListener : ITlsHandshakeListener
{
    public List<(EncryptionLevel Level, byte[] Data)> Outbox { get; } = new();
    public Dictionary<EncryptionLevel, (CipherSuite Suite, byte[] Secret)> ReadSecrets { get; } = new();
    public Dictionary<EncryptionLevel, (CipherSuite Suite, byte[] Secret)> WriteSecrets { get; } = new();
    public List<string> Events { get; } = new();
    public List<TlsSessionTicket> Tickets { get; } = new();
    public byte[]? PeerTransportParameters { get; private set; }
    public int CompleteCount { get; private set; }

    public void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data)
    {
        Outbox.Add((level, data.ToArray()));
        Events.Add($"data:{level}:{data[0]}");
    }

    public void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        Assert.False(ReadSecrets.ContainsKey(level), $"read secret for {level} given twice");
        ReadSecrets[level] = (suite, secret.ToArray());
        Events.Add($"read:{level}");
    }

    public void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        Assert.False(WriteSecrets.ContainsKey(level), $"write secret for {level} given twice");
        WriteSecrets[level] = (suite, secret.ToArray());
        Events.Add($"write:{level}");
    }

    public void OnPeerTransportParameters(ReadOnlySpan<byte> parameters)
    {
        PeerTransportParameters = parameters.ToArray();
        Events.Add("tp");
    }

    public void OnHandshakeComplete()
    {
        CompleteCount++;
        Events.Add("complete");
    }

    public void OnSessionTicket(TlsSessionTicket ticket)
    {
        Tickets.Add(ticket);
        Events.Add("ticket");
    }
}

internal sealed class ManualTimeProvider : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A client and a server handshake wired back to back in memory.</summary>
internal sealed class TlsPair : IDisposable
{
    public static readonly byte[] ClientTransportParameters = [0x01, 0x02, 0xAA, 0xBB];
    public static readonly byte[] ServerTransportParameters = [0x03, 0x04, 0xCC, 0xDD, 0xEE];

    public TlsPair(TlsClientOptions clientOptions, TlsServerOptions serverOptions)
    {
        Client = new TlsClientHandshake(clientOptions, ClientTransportParameters, ClientListener);
        Server = new TlsServerHandshake(serverOptions, ServerTransportParameters, ServerListener);
    }

    public RecordingListener ClientListener { get; } = new();
    public RecordingListener ServerListener { get; } = new();
    public TlsClientHandshake Client { get; }
    public TlsServerHandshake Server { get; }
    public TlsResult ClientResult { get; private set; }
    public TlsResult ServerResult { get; private set; }

    /// <summary>Rewrites a message in flight (fromServer, level, message) -> message; null keeps it.</summary>
    public Func<bool, EncryptionLevel, byte[], byte[]>? Tamper { get; set; }

    /// <summary>Splits each message into chunks for delivery; null delivers whole.</summary>
    public Func<byte[], IEnumerable<byte[]>>? Chunker { get; set; }

    public void Run()
    {
        TlsResult start = Client.Start();
        Assert.False(start.IsError, start.ToString());
        int ci = 0, si = 0;
        bool progress = true;
        while (progress && !ClientResult.IsError && !ServerResult.IsError)
        {
            progress = false;
            while (ci < ClientListener.Outbox.Count && !ServerResult.IsError)
            {
                var (level, data) = ClientListener.Outbox[ci++];
                ServerResult = Deliver(Server, false, level, data);
                progress = true;
            }
            while (si < ServerListener.Outbox.Count && !ClientResult.IsError)
            {
                var (level, data) = ServerListener.Outbox[si++];
                ClientResult = Deliver(Client, true, level, data);
                progress = true;
            }
        }
    }

    public void AssertSuccess()
    {
        Assert.False(ClientResult.IsError, "client: " + ClientResult);
        Assert.False(ServerResult.IsError, "server: " + ServerResult);
        Assert.True(Client.IsHandshakeComplete);
        Assert.True(Server.IsHandshakeComplete);
        Assert.Equal(1, ClientListener.CompleteCount);
        Assert.Equal(1, ServerListener.CompleteCount);
        Assert.Equal(Client.CipherSuite, Server.CipherSuite);
        foreach (EncryptionLevel level in new[] { EncryptionLevel.Handshake, EncryptionLevel.OneRtt })
        {
            Assert.Equal(ClientListener.WriteSecrets[level].Secret, ServerListener.ReadSecrets[level].Secret);
            Assert.Equal(ServerListener.WriteSecrets[level].Secret, ClientListener.ReadSecrets[level].Secret);
            Assert.NotEqual(ClientListener.WriteSecrets[level].Secret, ClientListener.ReadSecrets[level].Secret);
            Assert.Equal(Client.CipherSuite, ClientListener.WriteSecrets[level].Suite);
            Assert.Equal(Server.CipherSuite, ServerListener.ReadSecrets[level].Suite);
            int hashLength = Client.CipherSuite == CipherSuite.Aes256GcmSha384 ? 48 : 32;
            Assert.Equal(hashLength, ClientListener.WriteSecrets[level].Secret.Length);
        }
        Assert.Equal(ServerTransportParameters, ClientListener.PeerTransportParameters);
        Assert.Equal(ClientTransportParameters, ServerListener.PeerTransportParameters);
        Assert.Equal(ServerTransportParameters, Client.PeerTransportParameters);
        Assert.Equal(Client.NegotiatedApplicationProtocol, Server.NegotiatedApplicationProtocol);
        Assert.Equal(0, Client.BufferedBytes(EncryptionLevel.Handshake));
    }

    private TlsResult Deliver(TlsHandshake target, bool fromServer, EncryptionLevel level, byte[] data)
    {
        if (Tamper is not null) data = Tamper(fromServer, level, data) ?? data;
        if (Chunker is null) return target.ProcessCryptoData(level, data);
        TlsResult r = default;
        foreach (byte[] chunk in Chunker(data))
        {
            r = target.ProcessCryptoData(level, chunk);
            if (r.IsError) break;
        }
        return r;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}

internal static class TestCertificates
{
    public const string Name = "example.test";
    private static readonly Lazy<X509Certificate2> LazyEcdsa = new(() => Create(useRsa: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    private static readonly Lazy<X509Certificate2> LazyEcdsa2 = new(() => Create(useRsa: false, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    private static readonly Lazy<X509Certificate2> LazyRsa = new(() => Create(useRsa: true, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    private static readonly Lazy<X509Certificate2> LazyExpired = new(() => Create(useRsa: false, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1)));

    public static X509Certificate2 Ecdsa => LazyEcdsa.Value;
    public static X509Certificate2 OtherEcdsa => LazyEcdsa2.Value;
    public static X509Certificate2 Rsa => LazyRsa.Value;
    public static X509Certificate2 Expired => LazyExpired.Value;

    public static X509Certificate2 Create(bool useRsa, DateTimeOffset notBefore, DateTimeOffset notAfter, string name = Name)
    {
        CertificateRequest request;
        if (useRsa)
        {
            using RSA rsa = RSA.Create(2048);
            request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            AddExtensions(request, name);
            return request.CreateSelfSigned(notBefore, notAfter);
        }
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        request = new CertificateRequest($"CN={name}", ec, HashAlgorithmName.SHA256);
        AddExtensions(request, name);
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    private static void AddExtensions(CertificateRequest request, string name)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
    }
}

internal static class TlsTestOptions
{
    public static readonly SslApplicationProtocol Alpn = new("test/1");

    public static TlsClientOptions Client(X509Certificate2? trusted = null) => new()
    {
        ServerName = TestCertificates.Name,
        ApplicationProtocols = [Alpn],
        TrustedRoots = [trusted ?? TestCertificates.Ecdsa],
    };

    public static TlsServerOptions Server(X509Certificate2? certificate = null) => new()
    {
        ServerCertificate = certificate ?? TestCertificates.Ecdsa,
        ApplicationProtocols = [Alpn],
    };
}
