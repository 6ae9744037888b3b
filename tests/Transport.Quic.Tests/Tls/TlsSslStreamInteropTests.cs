using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Transport.Quic.Crypto;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

/// <summary>
/// Our TLS client against an independent TLS 1.3 server: SslStream (OpenSSL on Linux) over loopback TCP, through a
/// minimal record layer (RFC 8446 §5) written here. It checks the wire format, the key schedule, signatures and the
/// Finished computation against another implementation. The server sends no quic_transport_parameters, so the test
/// relaxes that one QUIC rule.
/// </summary>
public class TlsSslStreamInteropTests
{
    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256, TlsNamedGroup.X25519, false)]
    [InlineData(CipherSuite.Aes256GcmSha384, TlsNamedGroup.Secp256r1, true)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, TlsNamedGroup.Secp384r1, false)]
    public Task OurClient_HandshakesAndExchangesDataWithSslStream(CipherSuite suite, TlsNamedGroup group, bool rsa) =>
        RunOurClient(suite, group, rsa, ticket: null);

    [Fact]
    public async Task OurClient_ResumesWithSslStreamTicket()
    {
        (TlsSessionTicket ticket, _) = await RunOurClient(CipherSuite.Aes128GcmSha256, TlsNamedGroup.X25519, false, null);
        (_, bool resumed) = await RunOurClient(CipherSuite.Aes128GcmSha256, TlsNamedGroup.X25519, false, ticket);
        Assert.True(resumed);
    }

    private static async Task<(TlsSessionTicket, bool)> RunOurClient(CipherSuite suite, TlsNamedGroup group, bool rsa, TlsSessionTicket? ticket)
    {
        var certificate = rsa ? TestCertificates.Rsa : TestCertificates.Ecdsa;

        using var tcpListener = new TcpListener(IPAddress.Loopback, 0);
        tcpListener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)tcpListener.LocalEndpoint).Port);
        using var serverTcp = await tcpListener.AcceptTcpClientAsync();
        using var ssl = new SslStream(serverTcp.GetStream());
        Task serverHandshake = ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [TlsTestOptions.Alpn],
        });

        NetworkStream net = clientTcp.GetStream();
        net.ReadTimeout = 10_000;
        var records = new RecordLayer(net);
        var options = TlsTestOptions.Client(certificate);
        options.CipherSuites = [suite];
        options.Groups = [group];
        options.RequireTransportParameters = false;
        options.SessionTicket = ticket;
        var recorder = new RecordingListener();
        using var tls = new TlsClientHandshake(options, TlsPair.ClientTransportParameters, new ShimListener(records, recorder));

        Assert.False(tls.Start().IsError);
        while (!tls.IsHandshakeComplete)
        {
            (EncryptionLevel level, byte[] data)? message = records.ReadHandshakeData();
            Assert.NotNull(message);
            TlsResult r = tls.ProcessCryptoData(message.Value.level, message.Value.data);
            Assert.False(r.IsError, r.ToString());
        }

        await serverHandshake.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TlsTestOptions.Alpn, ssl.NegotiatedApplicationProtocol);
        Assert.Equal((int)suite, (int)ssl.NegotiatedCipherSuite);
        Assert.Equal(TlsTestOptions.Alpn, tls.NegotiatedApplicationProtocol);
        if (!tls.IsResumed) Assert.Equal(certificate.RawData, tls.PeerCertificate!.RawData);

        // Application data both ways proves both application traffic secrets.
        await ssl.WriteAsync("ping"u8.ToArray());
        byte[]? app;
        while ((app = records.ReadApplicationData(tls)) is null) { }
        Assert.Equal("ping"u8.ToArray(), app);
        records.WriteApplicationData("pong"u8);
        byte[] buffer = new byte[4];
        int got = 0;
        while (got < 4) got += await ssl.ReadAsync(buffer.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("pong"u8.ToArray(), buffer);

        // OpenSSL sends NewSessionTickets after the handshake; they must parse.
        Assert.NotEmpty(recorder.Tickets);
        Assert.Equal(suite, recorder.Tickets[0].CipherSuite);
        return (recorder.Tickets[0], tls.IsResumed);
    }

    [Theory]
    [InlineData(CipherSuite.Aes128GcmSha256, false, false)]
    [InlineData(CipherSuite.Aes256GcmSha384, true, false)]
    [InlineData(CipherSuite.ChaCha20Poly1305Sha256, false, false)]
    [InlineData(CipherSuite.Aes128GcmSha256, false, true)]
    [InlineData(CipherSuite.Aes256GcmSha384, true, true)]
    public Task SslStreamClient_HandshakesAndExchangesDataWithOurServer(CipherSuite suite, bool rsa, bool helloRetry) =>
        RunOurServer(suite, rsa, helloRetry, new TlsSessionTicketKeys());

    [Fact]
    public async Task SslStreamClient_ResumesWithOurTicket()
    {
        var keys = new TlsSessionTicketKeys();
        Assert.False(await RunOurServer(CipherSuite.Aes128GcmSha256, false, false, keys));
        Assert.True(await RunOurServer(CipherSuite.Aes128GcmSha256, false, false, keys));
    }

    private static async Task<bool> RunOurServer(CipherSuite suite, bool rsa, bool helloRetry, TlsSessionTicketKeys keys)
    {
        var certificate = rsa ? TestCertificates.Rsa : TestCertificates.Ecdsa;
        using var tcpListener = new TcpListener(IPAddress.Loopback, 0);
        tcpListener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)tcpListener.LocalEndpoint).Port);
        using var serverTcp = await tcpListener.AcceptTcpClientAsync();

        using var ssl = new SslStream(clientTcp.GetStream());
        byte[]? seenCertificate = null;
        Task clientHandshake = ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TestCertificates.Name,
            EnabledSslProtocols = SslProtocols.Tls13,
            ApplicationProtocols = [new SslApplicationProtocol("other"), TlsTestOptions.Alpn],
            RemoteCertificateValidationCallback = (_, cert, _, _) => { seenCertificate = cert?.GetRawCertData(); return true; },
        });

        NetworkStream net = serverTcp.GetStream();
        net.ReadTimeout = 10_000;
        var records = new RecordLayer(net);
        var options = TlsTestOptions.Server(certificate);
        options.CipherSuites = [suite];
        options.EnforceQuicRules = false;
        if (helloRetry) options.Groups = [TlsNamedGroup.Secp384r1]; // OpenSSL's first flight shares x25519 (and maybe P-256) only
        options.SessionTicketKeys = keys;
        var recorder = new RecordingListener();
        using var tls = new TlsServerHandshake(options, TlsPair.ServerTransportParameters, new ShimListener(records, recorder));

        while (!tls.IsHandshakeComplete)
        {
            (EncryptionLevel level, byte[] data)? message = records.ReadHandshakeData();
            Assert.NotNull(message);
            TlsResult r = tls.ProcessCryptoData(message.Value.level, message.Value.data);
            Assert.False(r.IsError, r.ToString());
        }
        await clientHandshake.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TlsTestOptions.Alpn, ssl.NegotiatedApplicationProtocol);
        Assert.Equal((int)suite, (int)ssl.NegotiatedCipherSuite);
        if (!tls.IsResumed) Assert.Equal(certificate.RawData, seenCertificate);
        Assert.Equal(TestCertificates.Name, tls.ClientServerName);
        Assert.Equal(helloRetry, tls.HelloRetryRequested);

        await ssl.WriteAsync("ping"u8.ToArray());
        byte[]? app;
        while ((app = records.ReadApplicationData(tls)) is null) { }
        Assert.Equal("ping"u8.ToArray(), app);
        records.WriteApplicationData("pong"u8);
        byte[] buffer = new byte[4];
        int got = 0;
        while (got < 4) got += await ssl.ReadAsync(buffer.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("pong"u8.ToArray(), buffer); // SslStream also consumed our NewSessionTicket on the way
        return tls.IsResumed;
    }

    private sealed class ShimListener(RecordLayer records, RecordingListener recorder) : ITlsHandshakeListener
    {
        public void OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data) => records.WriteHandshake(level, data);
        public void OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) => records.SetReadSecret(level, suite, secret);
        public void OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) => records.SetWriteSecret(level, suite, secret);
        public void OnPeerTransportParameters(ReadOnlySpan<byte> parameters) { }
        public void OnHandshakeComplete() { }
        public void OnSessionTicket(TlsSessionTicket ticket) => recorder.OnSessionTicket(ticket);
    }

    /// <summary>TLS 1.3 records (RFC 8446 §5.1-§5.3): plaintext until keys exist, then AEAD with per-record nonces.</summary>
    private sealed class RecordLayer(Stream stream)
    {
        private readonly Direction _read = new();
        private readonly Dictionary<EncryptionLevel, Direction> _writers = new();
        private bool _firstRecord = true;

        private sealed class Direction
        {
            public EncryptionLevel Level = EncryptionLevel.Initial;
            public CipherSuite Suite;
            public byte[]? Key;
            public byte[]? Iv;
            public ulong Sequence;

            public void Set(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
            {
                HashAlgorithmName hash = suite == CipherSuite.Aes256GcmSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
                Level = level;
                Suite = suite;
                Key = HkdfLabel.Expand(hash, secret, "key", ReadOnlySpan<byte>.Empty, suite == CipherSuite.Aes128GcmSha256 ? 16 : 32);
                Iv = HkdfLabel.Expand(hash, secret, "iv", ReadOnlySpan<byte>.Empty, 12);
                Sequence = 0;
            }

            public byte[] Nonce()
            {
                byte[] nonce = Iv!.ToArray();
                for (int i = 0; i < 8; i++) nonce[11 - i] ^= (byte)(Sequence >> (8 * i));
                Sequence++;
                return nonce;
            }

            public void Seal(byte[] nonce, ReadOnlySpan<byte> plain, Span<byte> cipher, Span<byte> tag, ReadOnlySpan<byte> aad)
            {
                if (Suite == CipherSuite.ChaCha20Poly1305Sha256) { using var c = new ChaCha20Poly1305(Key!); c.Encrypt(nonce, plain, cipher, tag, aad); }
                else { using var a = new AesGcm(Key!, 16); a.Encrypt(nonce, plain, cipher, tag, aad); }
            }

            public void Open(byte[] nonce, ReadOnlySpan<byte> cipher, ReadOnlySpan<byte> tag, Span<byte> plain, ReadOnlySpan<byte> aad)
            {
                if (Suite == CipherSuite.ChaCha20Poly1305Sha256) { using var c = new ChaCha20Poly1305(Key!); c.Decrypt(nonce, cipher, tag, plain, aad); }
                else { using var a = new AesGcm(Key!, 16); a.Decrypt(nonce, cipher, tag, plain, aad); }
            }
        }

        public void SetReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret) => _read.Set(level, suite, secret);

        public void SetWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
        {
            var d = new Direction();
            d.Set(level, suite, secret);
            _writers[level] = d;
        }

        public void WriteHandshake(EncryptionLevel level, ReadOnlySpan<byte> data)
        {
            if (level == EncryptionLevel.Initial)
            {
                byte[] record = [22, 3, (byte)(_firstRecord ? 1 : 3), (byte)(data.Length >> 8), (byte)data.Length, .. data];
                _firstRecord = false;
                stream.Write(record);
                return;
            }
            WriteProtected(_writers[level], 22, data);
        }

        public void WriteApplicationData(ReadOnlySpan<byte> data) => WriteProtected(_writers[EncryptionLevel.OneRtt], 23, data);

        private void WriteProtected(Direction writer, byte innerType, ReadOnlySpan<byte> data)
        {
            byte[] plain = [.. data, innerType];
            int length = plain.Length + 16;
            byte[] record = new byte[5 + length];
            record[0] = 23; record[1] = 3; record[2] = 3;
            BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(3), (ushort)length);
            writer.Seal(writer.Nonce(), plain, record.AsSpan(5, plain.Length), record.AsSpan(5 + plain.Length, 16), record.AsSpan(0, 5));
            stream.Write(record);
        }

        /// <summary>The next handshake bytes from the server with their level; change_cipher_spec is skipped.</summary>
        public (EncryptionLevel, byte[])? ReadHandshakeData()
        {
            while (true)
            {
                (byte type, byte[] payload, byte[] header) = ReadRecord();
                if (type == 20) continue; // middlebox-compatibility change_cipher_spec
                if (type == 22) return (EncryptionLevel.Initial, payload);
                Assert.Equal(23, type);
                (byte inner, byte[] content) = Open(payload, header);
                Assert.True(inner == 22, $"expected a handshake record, got inner type {inner} ({Convert.ToHexString(content)})");
                return (_read.Level, content);
            }
        }

        /// <summary>Reads one protected record: application data is returned; handshake data (tickets) goes to the client.</summary>
        public byte[]? ReadApplicationData(TlsHandshake tls)
        {
            (byte type, byte[] payload, byte[] header) = ReadRecord();
            Assert.Equal(23, type);
            (byte inner, byte[] content) = Open(payload, header);
            if (inner == 23) return content;
            Assert.Equal(22, inner);
            TlsResult r = tls.ProcessCryptoData(_read.Level, content);
            Assert.False(r.IsError, r.ToString());
            return null;
        }

        private (byte, byte[]) Open(byte[] payload, byte[] header)
        {
            byte[] plain = new byte[payload.Length - 16];
            _read.Open(_read.Nonce(), payload.AsSpan(0, plain.Length), payload.AsSpan(plain.Length), plain, header);
            int end = plain.Length - 1;
            while (plain[end] == 0) end--; // padding
            return (plain[end], plain.AsSpan(0, end).ToArray());
        }

        private (byte, byte[], byte[]) ReadRecord()
        {
            byte[] header = new byte[5];
            stream.ReadExactly(header);
            byte[] payload = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(3))];
            stream.ReadExactly(payload);
            if (header[0] == 21) Assert.Fail($"The server sent alert {payload[^1]}.");
            return (header[0], payload, header);
        }
    }
}
