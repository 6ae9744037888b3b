using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Transport.Quic;
using Transport.Quic.Tls;

namespace Transport.Bench.Quic;

/// <summary>
/// CPU cost of one full TLS 1.3 handshake as QUIC runs it, client plus server, in memory: ClientHello to both sides
/// complete, with the key exchange, certificate signature and verification, and key schedule. Run with
/// <c>dotnet run -c Release --project bench/Transport.Bench -- --filter '*TlsHandshake*'</c>.
/// </summary>
[MemoryDiagnoser]
public class TlsHandshakeBenchmark
{
    private static readonly SslApplicationProtocol Alpn = new("bench");
    private static readonly byte[] TransportParameters = [0x01, 0x02, 0x40, 0x64];
    private X509Certificate2 _ecdsa = null!;
    private X509Certificate2 _rsa = null!;
    private byte[] _ecdsaPin = null!;
    private byte[] _rsaPin = null!;

    [Params(TlsNamedGroup.X25519, TlsNamedGroup.Secp256r1)]
    public TlsNamedGroup Group { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ecdsa = CreateCertificate(rsa: false);
        _rsa = CreateCertificate(rsa: true);
        _ecdsaPin = TlsClientOptions.ComputeCertificatePin(_ecdsa);
        _rsaPin = TlsClientOptions.ComputeCertificatePin(_rsa);
    }

    /// <summary>Full handshake with an ECDSA P-256 server certificate, pinned by the client.</summary>
    [Benchmark(Baseline = true)]
    public bool FullHandshakeEcdsaP256() => Handshake(_ecdsa, _ecdsaPin);

    /// <summary>Full handshake with an RSA-2048 server certificate (RSA-PSS CertificateVerify), pinned by the client.</summary>
    [Benchmark]
    public bool FullHandshakeRsa2048() => Handshake(_rsa, _rsaPin);

    private bool Handshake(X509Certificate2 certificate, byte[] pin)
    {
        var clientOptions = new TlsClientOptions
        {
            ServerName = "bench.example",
            ApplicationProtocols = [Alpn],
            Groups = [Group],
            PinnedCertificateSha256 = [pin],
        };
        var serverOptions = new TlsServerOptions
        {
            ServerCertificate = certificate,
            ApplicationProtocols = [Alpn],
            Groups = [Group],
        };
        var toServer = new Outbox();
        var toClient = new Outbox();
        using var client = new TlsClientHandshake(clientOptions, TransportParameters, toServer);
        using var server = new TlsServerHandshake(serverOptions, TransportParameters, toClient);
        TlsResult result = client.Start();
        while (!result.IsError && (toServer.Count > 0 || toClient.Count > 0))
        {
            while (!result.IsError && toServer.TryTake(out EncryptionLevel level, out byte[] data)) result = server.ProcessCryptoData(level, data);
            while (!result.IsError && toClient.TryTake(out EncryptionLevel level, out byte[] data)) result = client.ProcessCryptoData(level, data);
        }
        if (result.IsError || !client.IsHandshakeComplete || !server.IsHandshakeComplete)
            throw new InvalidOperationException("Handshake failed: " + result);
        return true;
    }

    private static X509Certificate2 CreateCertificate(bool rsa)
    {
        CertificateRequest request;
        X509Certificate2 certificate;
        if (rsa)
        {
            using RSA key = RSA.Create(2048);
            request = new CertificateRequest("CN=bench.example", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            AddSan(request);
            certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }
        else
        {
            using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            request = new CertificateRequest("CN=bench.example", key, HashAlgorithmName.SHA256);
            AddSan(request);
            certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }
        return certificate;
    }

    private static void AddSan(CertificateRequest request)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("bench.example");
        request.CertificateExtensions.Add(san.Build());
    }

    /// <summary>Collects the CRYPTO bytes one side emits, by level, for the other side.</summary>
    private sealed class Outbox : ITlsHandshakeListener
    {
        private readonly Queue<(EncryptionLevel Level, byte[] Data)> _queue = new();

        public int Count => _queue.Count;

        public bool TryTake(out EncryptionLevel level, out byte[] data)
        {
            if (_queue.TryDequeue(out var item))
            {
                (level, data) = item;
                return true;
            }
            level = default;
            data = [];
            return false;
        }

        public void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data) => _queue.Enqueue((level, data.ToArray()));
        public void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) { }
        public void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) { }
        public void OnPeerTransportParameters(ReadOnlySpan<byte> parameters) { }
        public void OnHandshakeComplete() { }
        public void OnSessionTicket(TlsSessionTicket ticket) { }
    }
}
