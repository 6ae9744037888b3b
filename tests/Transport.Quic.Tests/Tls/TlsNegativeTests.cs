using System.Net.Security;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

public class TlsNegativeTests
{
    private static TlsPair Run(TlsClientOptions client, TlsServerOptions server, Func<bool, EncryptionLevel, byte[], byte[]>? tamper = null)
    {
        var pair = new TlsPair(client, server) { Tamper = tamper };
        pair.Run();
        return pair;
    }

    private static void AssertAlert(TlsResult result, TlsAlert alert)
    {
        Assert.True(result.IsError, "expected an error");
        Assert.Equal(alert, result.Alert);
        Assert.Equal((TransportErrorCode)(0x100ul + (byte)alert), result.ErrorCode);
    }

    [Fact]
    public void BadServerFinished_ClientSendsDecryptError()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (fromServer && data[0] == 20) data[^1] ^= 1;
            return data;
        });
        AssertAlert(pair.ClientResult, TlsAlert.DecryptError);
        Assert.False(pair.Client.IsHandshakeComplete);
        Assert.False(pair.ClientListener.WriteSecrets.ContainsKey(EncryptionLevel.OneRtt));
    }

    [Fact]
    public void BadClientFinished_ServerSendsDecryptError()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (!fromServer && data[0] == 20) data[^1] ^= 1;
            return data;
        });
        AssertAlert(pair.ServerResult, TlsAlert.DecryptError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.False(pair.ServerListener.ReadSecrets.ContainsKey(EncryptionLevel.OneRtt));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BadCertificateVerifySignature_DecryptError(bool rsa)
    {
        var cert = rsa ? TestCertificates.Rsa : TestCertificates.Ecdsa;
        using var pair = Run(TlsTestOptions.Client(cert), TlsTestOptions.Server(cert), (fromServer, level, data) =>
        {
            if (fromServer && data[0] == 15) data[^1] ^= 0x40;
            return data;
        });
        AssertAlert(pair.ClientResult, TlsAlert.DecryptError);
    }

    [Fact]
    public void CertificateVerifyWithUnofferedScheme_IllegalParameter()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (fromServer && data[0] == 15) { data[4] = 0x04; data[5] = 0x01; } // rsa_pkcs1_sha256 is not for CertificateVerify
            return data;
        });
        AssertAlert(pair.ClientResult, TlsAlert.IllegalParameter);
    }

    [Fact]
    public void ServerSignsWithAnotherKey_DecryptError()
    {
        // The server presents certificate A but signs with B's key: swap the Certificate message in flight.
        var clientOptions = TlsTestOptions.Client(TestCertificates.OtherEcdsa);
        using var reference = new TlsPair(TlsTestOptions.Client(TestCertificates.OtherEcdsa), TlsTestOptions.Server(TestCertificates.OtherEcdsa));
        reference.Run();
        byte[] otherCertificateMessage = reference.ServerListener.Outbox.First(o => o.Level == EncryptionLevel.Handshake && o.Data[0] == 11).Data;
        using var pair = Run(clientOptions, TlsTestOptions.Server(TestCertificates.Ecdsa), (fromServer, level, data) =>
            fromServer && data[0] == 11 ? otherCertificateMessage : data);
        AssertAlert(pair.ClientResult, TlsAlert.DecryptError);
    }

    [Fact]
    public void WrongServerName_BadCertificate()
    {
        var client = TlsTestOptions.Client();
        client.ServerName = "other.test";
        using var pair = Run(client, TlsTestOptions.Server());
        AssertAlert(pair.ClientResult, TlsAlert.BadCertificate);
        Assert.Contains("other.test", pair.ClientResult.Reason);
    }

    [Fact]
    public void UntrustedCertificate_UnknownCa()
    {
        var client = TlsTestOptions.Client();
        client.TrustedRoots = null; // the system store does not hold our self-signed certificate
        using var pair = Run(client, TlsTestOptions.Server());
        AssertAlert(pair.ClientResult, TlsAlert.UnknownCa);
    }

    [Fact]
    public void CertificateTrustedForAnotherRoot_UnknownCa()
    {
        using var pair = Run(TlsTestOptions.Client(TestCertificates.OtherEcdsa), TlsTestOptions.Server(TestCertificates.Ecdsa));
        AssertAlert(pair.ClientResult, TlsAlert.UnknownCa);
    }

    [Fact]
    public void ExpiredCertificate_CertificateExpired()
    {
        using var pair = Run(TlsTestOptions.Client(TestCertificates.Expired), TlsTestOptions.Server(TestCertificates.Expired));
        AssertAlert(pair.ClientResult, TlsAlert.CertificateExpired);
    }

    [Fact]
    public void ClockPastNotAfter_CertificateExpired()
    {
        var client = TlsTestOptions.Client();
        client.TimeProvider = new ManualTimeProvider { Now = DateTimeOffset.UtcNow.AddYears(3) };
        using var pair = Run(client, TlsTestOptions.Server());
        AssertAlert(pair.ClientResult, TlsAlert.CertificateExpired);
    }

    [Fact]
    public void Pin_Matching_AcceptsSelfSignedWithoutTrustOrName()
    {
        var client = TlsTestOptions.Client();
        client.TrustedRoots = null;
        client.ServerName = "10.0.0.1";
        client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.Ecdsa)];
        using var pair = Run(client, TlsTestOptions.Server());
        pair.AssertSuccess();
        Assert.Null(pair.Server.ClientServerName); // an IP literal is never sent as SNI (RFC 6066 §3)
    }

    [Fact]
    public void Pin_Mismatch_BadCertificate()
    {
        var client = TlsTestOptions.Client();
        client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.OtherEcdsa)];
        using var pair = Run(client, TlsTestOptions.Server());
        AssertAlert(pair.ClientResult, TlsAlert.BadCertificate);
    }

    [Fact]
    public void Pin_OfExpiredCertificate_CertificateExpired()
    {
        var client = TlsTestOptions.Client(TestCertificates.Expired);
        client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.Expired)];
        using var pair = Run(client, TlsTestOptions.Server(TestCertificates.Expired));
        AssertAlert(pair.ClientResult, TlsAlert.CertificateExpired);
    }

    [Fact]
    public void ValidationCallback_SeesErrorsAndDecides()
    {
        SslPolicyErrors seen = SslPolicyErrors.None;
        var client = TlsTestOptions.Client();
        client.TrustedRoots = null;
        client.CertificateValidationCallback = (cert, chain, name, errors) => { seen = errors; return true; };
        using (var pair = Run(client, TlsTestOptions.Server()))
        {
            pair.AssertSuccess();
            Assert.True(seen.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors));
        }
        client.CertificateValidationCallback = (_, _, _, _) => false;
        using (var pair = Run(client, TlsTestOptions.Server()))
            AssertAlert(pair.ClientResult, TlsAlert.BadCertificate);
    }

    [Fact]
    public void DangerousAcceptAny_AcceptsUntrustedWrongName()
    {
        var client = TlsTestOptions.Client();
        client.TrustedRoots = null;
        client.ServerName = "whatever.invalid";
        client.DangerousAcceptAnyServerCertificate = true;
        using var pair = Run(client, TlsTestOptions.Server());
        pair.AssertSuccess();
    }

    [Fact]
    public void NoCommonAlpn_NoApplicationProtocol_0x178()
    {
        var server = TlsTestOptions.Server();
        server.ApplicationProtocols = [new SslApplicationProtocol("h3")];
        using var pair = Run(TlsTestOptions.Client(), server);
        AssertAlert(pair.ServerResult, TlsAlert.NoApplicationProtocol);
        Assert.Equal(0x178ul, (ulong)pair.ServerResult.ErrorCode);
    }

    [Fact]
    public void NoCommonGroup_HandshakeFailure()
    {
        var client = TlsTestOptions.Client();
        client.Groups = [TlsNamedGroup.X25519];
        var server = TlsTestOptions.Server();
        server.Groups = [TlsNamedGroup.Secp256r1];
        using var pair = Run(client, server);
        AssertAlert(pair.ServerResult, TlsAlert.HandshakeFailure);
    }

    [Fact]
    public void NoCommonCipherSuite_HandshakeFailure()
    {
        var client = TlsTestOptions.Client();
        client.CipherSuites = [CipherSuite.ChaCha20Poly1305Sha256];
        var server = TlsTestOptions.Server();
        server.CipherSuites = [CipherSuite.Aes128GcmSha256];
        using var pair = Run(client, server);
        AssertAlert(pair.ServerResult, TlsAlert.HandshakeFailure);
    }

    [Fact]
    public void ClientHelloWithoutTransportParameters_MissingExtension()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            !fromServer && data[0] == 1 ? ClientHelloEditor.RemoveExtension(data, 0x39) : data);
        AssertAlert(pair.ServerResult, TlsAlert.MissingExtension);
        Assert.Equal(0x16dul, (ulong)pair.ServerResult.ErrorCode);
    }

    [Fact]
    public void ClientHelloWithoutAlpn_NoApplicationProtocol()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            !fromServer && data[0] == 1 ? ClientHelloEditor.RemoveExtension(data, 16) : data);
        AssertAlert(pair.ServerResult, TlsAlert.NoApplicationProtocol);
    }

    [Fact]
    public void ClientHelloWithoutSupportedVersions_ProtocolVersion()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            !fromServer && data[0] == 1 ? ClientHelloEditor.RemoveExtension(data, 43) : data);
        AssertAlert(pair.ServerResult, TlsAlert.ProtocolVersion);
    }

    [Fact]
    public void EncryptedExtensionsWithoutTransportParameters_MissingExtension()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            fromServer && data[0] == 8 ? ClientHelloEditor.RemoveEncryptedExtension(data, 0x39) : data);
        AssertAlert(pair.ClientResult, TlsAlert.MissingExtension);
    }

    [Fact]
    public void EncryptedExtensionsWithoutAlpn_NoApplicationProtocol()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            fromServer && data[0] == 8 ? ClientHelloEditor.RemoveEncryptedExtension(data, 16) : data);
        AssertAlert(pair.ClientResult, TlsAlert.NoApplicationProtocol);
    }

    [Fact]
    public void TruncatedClientHello_DecodeError()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (fromServer || data[0] != 1) return data;
            byte[] cut = data.AsSpan(0, data.Length - 7).ToArray();
            int len = cut.Length - 4;
            cut[1] = (byte)(len >> 16); cut[2] = (byte)(len >> 8); cut[3] = (byte)len;
            return cut;
        });
        AssertAlert(pair.ServerResult, TlsAlert.DecodeError);
    }

    [Fact]
    public void TruncatedServerHello_DecodeError()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (!fromServer || data[0] != 2) return data;
            byte[] cut = data.AsSpan(0, 40).ToArray();
            cut[1] = 0; cut[2] = 0; cut[3] = 36;
            return cut;
        });
        AssertAlert(pair.ClientResult, TlsAlert.DecodeError);
    }

    [Fact]
    public void OversizedMessage_CryptoBufferExceeded()
    {
        using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new RecordingListener());
        TlsResult r = server.ProcessCryptoData(EncryptionLevel.Initial, [1, 0xff, 0xff, 0xff]);
        Assert.True(r.IsError);
        Assert.Equal(TransportErrorCode.CryptoBufferExceeded, r.ErrorCode);
        // Sticky: later input gets the same error.
        Assert.Equal(r.ErrorCode, server.ProcessCryptoData(EncryptionLevel.Initial, [0]).ErrorCode);
    }

    [Fact]
    public void PartialMessage_WaitsWithoutError()
    {
        using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new RecordingListener());
        Assert.False(server.ProcessCryptoData(EncryptionLevel.Initial, [1, 0, 1, 0, 3]).IsError);
        Assert.Equal(5, server.BufferedBytes(EncryptionLevel.Initial));
    }

    [Fact]
    public void ClientHelloAtHandshakeLevel_UnexpectedMessage()
    {
        using var pair = new TlsPair(TlsTestOptions.Client(), TlsTestOptions.Server());
        pair.Client.Start();
        TlsResult r = pair.Server.ProcessCryptoData(EncryptionLevel.Handshake, pair.ClientListener.Outbox[0].Data);
        AssertAlert(r, TlsAlert.UnexpectedMessage);
    }

    [Fact]
    public void NonEmptyLegacySessionId_ProtocolViolation()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            !fromServer && data[0] == 1 ? ClientHelloEditor.SetSessionId(data, new byte[32]) : data);
        Assert.True(pair.ServerResult.IsError);
        Assert.Equal(TransportErrorCode.ProtocolViolation, pair.ServerResult.ErrorCode);
    }

    [Fact]
    public void KeyUpdateAfterHandshake_UnexpectedMessage()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server());
        pair.AssertSuccess();
        AssertAlert(pair.Client.ProcessCryptoData(EncryptionLevel.OneRtt, [24, 0, 0, 1, 0]), TlsAlert.UnexpectedMessage);
        AssertAlert(pair.Server.ProcessCryptoData(EncryptionLevel.OneRtt, [24, 0, 0, 1, 0]), TlsAlert.UnexpectedMessage);
    }

    [Fact]
    public void EndOfEarlyData_ProtocolViolation()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server());
        TlsResult r = pair.Server.ProcessCryptoData(EncryptionLevel.Handshake, [5, 0, 0, 0]);
        Assert.Equal(TransportErrorCode.ProtocolViolation, r.ErrorCode);
    }

    [Fact]
    public void CryptoDataAtZeroRtt_UnexpectedMessage()
    {
        using var server = new TlsServerHandshake(TlsTestOptions.Server(), TlsPair.ServerTransportParameters, new RecordingListener());
        AssertAlert(server.ProcessCryptoData(EncryptionLevel.ZeroRtt, [1]), TlsAlert.UnexpectedMessage);
    }

    [Fact]
    public void InvalidKeyShare_IllegalParameter()
    {
        var client = TlsTestOptions.Client();
        client.Groups = [TlsNamedGroup.Secp256r1];
        using var pair = Run(client, TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (fromServer || data[0] != 1) return data;
            // Find the uncompressed point (0x04 followed by 64 bytes) and break it.
            int at = data.AsSpan().IndexOf(new byte[] { 0x00, 0x41, 0x04 });
            data[at + 10] ^= 0xff;
            return data;
        });
        AssertAlert(pair.ServerResult, TlsAlert.IllegalParameter);
    }

    [Fact]
    public void TrailingDataAfterServerHello_UnexpectedMessage()
    {
        using var pair = Run(TlsTestOptions.Client(), TlsTestOptions.Server(), (fromServer, level, data) =>
            fromServer && data[0] == 2 ? [.. data, 8, 0] : data);
        AssertAlert(pair.ClientResult, TlsAlert.UnexpectedMessage);
    }

    [Fact]
    public void ServerPicksUnofferedSuite_IllegalParameter()
    {
        var client = TlsTestOptions.Client();
        client.CipherSuites = [CipherSuite.Aes128GcmSha256];
        using var pair = Run(client, TlsTestOptions.Server(), (fromServer, level, data) =>
        {
            if (!fromServer || data[0] != 2) return data;
            int at = 4 + 2 + 32 + 1 + data[4 + 2 + 32];
            data[at + 1] = 0x03; // TLS_CHACHA20_POLY1305_SHA256
            return data;
        });
        AssertAlert(pair.ClientResult, TlsAlert.IllegalParameter);
    }
}

/// <summary>Edits handshake messages in flight for negative tests.</summary>
internal static class ClientHelloEditor
{
    /// <summary>Rebuilds a ClientHello without one extension.</summary>
    public static byte[] RemoveExtension(byte[] hello, ushort type)
    {
        int at = ExtensionsOffset(hello);
        return Rebuild(hello, at, type);
    }

    /// <summary>Rebuilds EncryptedExtensions without one extension.</summary>
    public static byte[] RemoveEncryptedExtension(byte[] message, ushort type) => Rebuild(message, 4, type);

    public static byte[] SetSessionId(byte[] hello, byte[] sessionId)
    {
        int at = 4 + 2 + 32;
        int old = hello[at];
        byte[] result = [.. hello.AsSpan(0, at), (byte)sessionId.Length, .. sessionId, .. hello.AsSpan(at + 1 + old)];
        FixLength(result);
        return result;
    }

    private static int ExtensionsOffset(byte[] hello)
    {
        int at = 4 + 2 + 32;
        at += 1 + hello[at];
        at += 2 + ((hello[at] << 8) | hello[at + 1]);
        at += 1 + hello[at];
        return at;
    }

    private static byte[] Rebuild(byte[] message, int extensionsAt, ushort removed)
    {
        int total = (message[extensionsAt] << 8) | message[extensionsAt + 1];
        var kept = new List<byte>();
        int p = extensionsAt + 2;
        while (p < extensionsAt + 2 + total)
        {
            ushort t = (ushort)((message[p] << 8) | message[p + 1]);
            int len = (message[p + 2] << 8) | message[p + 3];
            if (t != removed) kept.AddRange(message.AsSpan(p, 4 + len).ToArray());
            p += 4 + len;
        }
        byte[] result = [.. message.AsSpan(0, extensionsAt), (byte)(kept.Count >> 8), (byte)kept.Count, .. kept, .. message.AsSpan(p)];
        FixLength(result);
        return result;
    }

    private static void FixLength(byte[] message)
    {
        int len = message.Length - 4;
        message[1] = (byte)(len >> 16); message[2] = (byte)(len >> 8); message[3] = (byte)len;
    }
}

public class TlsServerNameTests
{
    [Fact]
    public void CertificateSelector_PicksBySni()
    {
        var server = TlsTestOptions.Server();
        server.ServerCertificate = null;
        string? asked = null;
        server.ServerCertificateSelector = name => { asked = name; return name == TestCertificates.Name ? TestCertificates.Rsa : null; };
        using var pair = new TlsPair(TlsTestOptions.Client(TestCertificates.Rsa), server);
        pair.Run();
        pair.AssertSuccess();
        Assert.Equal(TestCertificates.Name, asked);
        Assert.Equal(TestCertificates.Rsa.RawData, pair.Client.PeerCertificate!.RawData);
    }

    [Fact]
    public void CertificateSelector_RefusingTheName_UnrecognizedName()
    {
        var server = TlsTestOptions.Server();
        server.ServerCertificateSelector = _ => null;
        using var pair = new TlsPair(TlsTestOptions.Client(), server);
        pair.Run();
        Assert.Equal(TlsAlert.UnrecognizedName, pair.ServerResult.Alert);
    }
}
