using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Quic.Tls;
using Xunit;

namespace Transport.Quic.Tests.Tls;

/// <summary>
/// The parsed-certificate cache of the client (<see cref="TlsPeerCertificateCache"/>) and the per-certificate signing key
/// of the server (<see cref="TlsServerSigningKey"/>): reuse never changes a decision, and what the application receives
/// is its own object.
/// </summary>
public class TlsCertificateCacheTests
{
    [Fact]
    public void SameBytes_GiveTheSameParsedCertificate_OtherBytesAnother()
    {
        byte[] der = TestCertificates.Ecdsa.RawData;
        TlsPeerCertificateInfo a = TlsPeerCertificateCache.Get(der);
        TlsPeerCertificateInfo b = TlsPeerCertificateCache.Get((byte[])der.Clone());
        TlsPeerCertificateInfo other = TlsPeerCertificateCache.Get(TestCertificates.OtherEcdsa.RawData);
        Assert.Same(a, b);
        Assert.NotSame(a, other);
        Assert.Equal(SHA256.HashData(der), a.Sha256);
        Assert.Equal(256, a.EcdsaKeySize);
        Assert.False(a.IsRsa);
        Assert.Equal(TestCertificates.Ecdsa.NotAfter.ToUniversalTime(), a.NotAfterUtc);
    }

    [Fact]
    public void RsaCertificate_IsKnownAsRsa()
    {
        TlsPeerCertificateInfo rsa = TlsPeerCertificateCache.Get(TestCertificates.Rsa.RawData);
        Assert.True(rsa.IsRsa);
        Assert.Equal(0, rsa.EcdsaKeySize);
    }

    [Fact]
    public void NotACertificate_ThrowsCryptographicException()
    {
        Assert.ThrowsAny<CryptographicException>(() => TlsPeerCertificateCache.Get([0x30, 0x03, 0x02, 0x01, 0x00]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RepeatedPinnedHandshakes_EachGetTheirOwnPeerCertificate(bool rsa)
    {
        X509Certificate2 cert = rsa ? TestCertificates.Rsa : TestCertificates.Ecdsa;
        TlsServerOptions server = TlsTestOptions.Server(cert);
        X509Certificate2? first = null;
        for (int i = 0; i < 3; i++)
        {
            TlsClientOptions client = TlsTestOptions.Client();
            client.TrustedRoots = null;
            client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(cert)];
            using var pair = new TlsPair(client, server);
            pair.Run();
            pair.AssertSuccess();
            X509Certificate2 peer = pair.Client.PeerCertificate!;
            Assert.Equal(cert.RawData, peer.RawData);
            Assert.Same(peer, pair.Client.PeerCertificate); // made once per connection
            Assert.Same(peer, pair.Client.PeerCertificates[0]);
            Assert.NotSame(first, peer);
            // The application may dispose what it was given; later handshakes work from the cache's own copy.
            peer.Dispose();
            first = peer;
        }
    }

    [Fact]
    public void CachedCertificate_PinMismatch_StillRefused()
    {
        TlsPeerCertificateCache.Get(TestCertificates.Ecdsa.RawData); // cached
        TlsClientOptions client = TlsTestOptions.Client();
        client.TrustedRoots = null;
        client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.OtherEcdsa)];
        using var pair = new TlsPair(client, TlsTestOptions.Server());
        pair.Run();
        Assert.Equal(TlsAlert.BadCertificate, pair.ClientResult.Alert);
    }

    [Fact]
    public void CachedCertificate_ExpiredForThisClientsClock_Refused()
    {
        TlsClientOptions client = TlsTestOptions.Client();
        client.TrustedRoots = null;
        client.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.Ecdsa)];
        using (var ok = new TlsPair(client, TlsTestOptions.Server()))
        {
            ok.Run();
            ok.AssertSuccess();
        }
        TlsClientOptions later = TlsTestOptions.Client();
        later.TrustedRoots = null;
        later.PinnedCertificateSha256 = [TlsClientOptions.ComputeCertificatePin(TestCertificates.Ecdsa)];
        later.TimeProvider = new ManualTimeProvider { Now = new DateTimeOffset(TestCertificates.Ecdsa.NotAfter.ToUniversalTime().AddDays(1), TimeSpan.Zero) };
        using var pair = new TlsPair(later, TlsTestOptions.Server());
        pair.Run();
        Assert.Equal(TlsAlert.CertificateExpired, pair.ClientResult.Alert);
    }

    [Fact]
    public void ChainValidatedHandshake_CallbackSeesTheConnectionsPeerCertificate()
    {
        X509Certificate2? seen = null;
        TlsClientOptions client = TlsTestOptions.Client();
        client.CertificateValidationCallback = (certificate, _, _, errors) =>
        {
            seen = certificate;
            return errors == System.Net.Security.SslPolicyErrors.None;
        };
        using var pair = new TlsPair(client, TlsTestOptions.Server());
        pair.Run();
        pair.AssertSuccess();
        Assert.Same(seen, pair.Client.PeerCertificate);
    }

    [Fact]
    public void ServerSigningKey_IsKeptPerCertificate_AndSignaturesVerify()
    {
        X509Certificate2 cert = TestCertificates.Ecdsa;
        Assert.Same(TlsServerSigningKey.For(cert), TlsServerSigningKey.For(cert));
        byte[] content = TlsSignatures.ServerSignedContent(new byte[32]);
        var signatures = new byte[8][];
        Parallel.For(0, signatures.Length, i => signatures[i] = TlsSignatures.Sign(cert, TlsConstants.EcdsaSecp256r1Sha256, content));
        TlsPeerCertificateInfo peer = TlsPeerCertificateCache.Get(cert.RawData);
        Parallel.ForEach(signatures, s => TlsSignatures.Verify(peer, TlsConstants.EcdsaSecp256r1Sha256, s, content));
        byte[] bad = (byte[])signatures[0].Clone();
        bad[^1] ^= 1;
        TlsAlertException e = Assert.Throws<TlsAlertException>(() => TlsSignatures.Verify(peer, TlsConstants.EcdsaSecp256r1Sha256, bad, content));
        Assert.Equal(TlsAlert.DecryptError, e.Alert);
    }

    [Fact]
    public void Verify_SchemeForAnotherKeyType_IllegalParameter()
    {
        TlsPeerCertificateInfo ec = TlsPeerCertificateCache.Get(TestCertificates.Ecdsa.RawData);
        TlsPeerCertificateInfo rsa = TlsPeerCertificateCache.Get(TestCertificates.Rsa.RawData);
        byte[] content = TlsSignatures.ServerSignedContent(new byte[32]);
        Assert.Equal(TlsAlert.IllegalParameter,
            Assert.Throws<TlsAlertException>(() => TlsSignatures.Verify(ec, TlsConstants.RsaPssRsaeSha256, new byte[64], content)).Alert);
        Assert.Equal(TlsAlert.IllegalParameter,
            Assert.Throws<TlsAlertException>(() => TlsSignatures.Verify(ec, TlsConstants.EcdsaSecp384r1Sha384, new byte[64], content)).Alert);
        Assert.Equal(TlsAlert.IllegalParameter,
            Assert.Throws<TlsAlertException>(() => TlsSignatures.Verify(rsa, TlsConstants.EcdsaSecp256r1Sha256, new byte[64], content)).Alert);
    }
}
