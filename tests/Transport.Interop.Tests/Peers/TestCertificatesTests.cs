using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

public sealed class TestCertificatesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(9)]
    public void Chain_has_the_runner_layout_and_verifies_against_ca_pem(int chainLength)
    {
        using var dir = new PeerTestDirectory("certs");
        using TestCertificates certs = TestCertificates.Create(dir.Path, chainLength);

        var fromFile = new X509Certificate2Collection();
        fromFile.ImportFromPemFile(certs.CertificatePath);
        Assert.Equal(chainLength, fromFile.Count);
        Assert.Equal(certs.Leaf.RawData, fromFile[0].RawData);
        using X509Certificate2 root = X509CertificateLoader.LoadCertificate(
            X509Certificate2.CreateFromPem(File.ReadAllText(certs.CaPath)).RawData);
        Assert.Equal(certs.Root.RawData, root.RawData);
        Assert.DoesNotContain(fromFile, c => c.RawData.AsSpan().SequenceEqual(root.RawData));

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        for (int i = 1; i < fromFile.Count; i++) chain.ChainPolicy.ExtraStore.Add(fromFile[i]);
        Assert.True(chain.Build(fromFile[0]), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(chainLength + 1, chain.ChainElements.Count);
    }

    [Fact]
    public void Leaf_names_the_runner_hosts_and_loopback_addresses_and_has_its_key()
    {
        using var dir = new PeerTestDirectory("certs");
        using TestCertificates certs = TestCertificates.Create(dir.Path);
        Assert.True(certs.Leaf.HasPrivateKey);
        foreach (string name in new[] { "server", "server4", "server6", "server46", "localhost", "127.0.0.1", "::1" })
            Assert.True(certs.Leaf.MatchesHostname(name), name);
        Assert.False(certs.Leaf.MatchesHostname("example.com"));
        using ECDsa? key = certs.Leaf.GetECDsaPrivateKey();
        Assert.NotNull(key);
        Assert.Equal(256, key.KeySize);
        Assert.Equal("1.2.840.10045.4.3.2", certs.Leaf.SignatureAlgorithm.Value); // ecdsa-with-SHA256
        var san = certs.Leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(IPAddress.IPv6Loopback, san.EnumerateIPAddresses());
    }

    [Theory]
    [InlineData(PrivateKeyFormat.Sec1WithParameters, "-----BEGIN EC PARAMETERS-----")]
    [InlineData(PrivateKeyFormat.Sec1, "-----BEGIN EC PRIVATE KEY-----")]
    [InlineData(PrivateKeyFormat.Pkcs8, "-----BEGIN PRIVATE KEY-----")]
    public void Key_file_is_written_in_the_chosen_format_and_loads_back(PrivateKeyFormat format, string firstLine)
    {
        using var dir = new PeerTestDirectory("certs");
        using TestCertificates certs = TestCertificates.Create(dir.Path, keyFormat: format);
        string pem = File.ReadAllText(certs.PrivateKeyPath);
        Assert.StartsWith(firstLine, pem);
        using X509Certificate2 loaded = TestCertificates.LoadLeafWithKey(dir.Path);
        Assert.True(loaded.HasPrivateKey);
        Assert.Equal(certs.Leaf.RawData, loaded.RawData);
        using ECDsa key = loaded.GetECDsaPrivateKey()!;
        byte[] data = [1, 2, 3];
        byte[] signature = key.SignData(data, HashAlgorithmName.SHA256);
        using ECDsa pub = certs.Leaf.GetECDsaPublicKey()!;
        Assert.True(pub.VerifyData(data, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Bad_chain_length_is_rejected()
    {
        using var dir = new PeerTestDirectory("certs");
        Assert.Throws<ArgumentOutOfRangeException>(() => TestCertificates.Create(dir.Path, 0));
    }
}
