using System.Security.Cryptography;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

// RFC 9001 Appendix A.1 and RFC 9369 Appendix A.1 (keys), byte for byte.
public class InitialSecretsTests
{
    private static readonly byte[] Dcid = Convert.FromHexString("8394c8f03e515708");

    public static TheoryData<uint, string, string, string, string, string, string, string, string, string> Keys => new()
    {
        {
            InitialSecrets.Version1,
            "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44",
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
            "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2",
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
            "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"
        },
        {
            InitialSecrets.Version2,
            "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba",
            "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
            "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9",
            "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
            "82db637861d55e1d011f19ea71d5d2a7", "dd13c276499c0249d3310652", "edf6d05c83121201b436e16877593c3a"
        },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void Initial_keys_match_the_RFC(uint version, string initialSecret, string clientSecret, string clientKey, string clientIv, string clientHp,
        string serverSecret, string serverKey, string serverIv, string serverHp)
    {
        var parameters = QuicVersionParameters.Get(version);
        byte[] initial = new byte[32];
        InitialSecrets.DeriveInitialSecret(parameters, Dcid, initial);
        Assert.Equal(initialSecret, Convert.ToHexStringLower(initial));

        byte[] client = new byte[32], server = new byte[32];
        InitialSecrets.Derive(version, Dcid, client, server);
        Assert.Equal(clientSecret, Convert.ToHexStringLower(client));
        Assert.Equal(serverSecret, Convert.ToHexStringLower(server));

        AssertKeys(parameters, client, clientKey, clientIv, clientHp);
        AssertKeys(parameters, server, serverKey, serverIv, serverHp);
    }

    private static void AssertKeys(QuicVersionParameters parameters, byte[] secret, string key, string iv, string hp)
    {
        const CipherSuite suite = CipherSuite.Aes128GcmSha256;
        byte[] buffer = new byte[16];
        KeySchedule.DeriveKey(suite, parameters, secret, buffer);
        Assert.Equal(key, Convert.ToHexStringLower(buffer));
        KeySchedule.DeriveHeaderProtectionKey(suite, parameters, secret, buffer);
        Assert.Equal(hp, Convert.ToHexStringLower(buffer));
        byte[] ivBuffer = new byte[12];
        KeySchedule.DeriveIv(suite, parameters, secret, ivBuffer);
        Assert.Equal(iv, Convert.ToHexStringLower(ivBuffer));
        // The PacketProtection built from the secret holds the same IV.
        using var protection = PacketProtection.Create(suite, secret, parameters.Version);
        Assert.Equal(iv, Convert.ToHexStringLower(protection.Payload.Iv));
    }

    // RFC 9001 A.1 / RFC 9369 A.1 print the HkdfLabel structures; HKDF-Expand over them gives the same bytes as HkdfLabel.Expand.
    [Theory]
    [InlineData("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea", "00100e746c7331332071756963206b657900", "1f369613dd76d5467730efcbe3b1a22d")]
    [InlineData("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea", "000c0d746c733133207175696320697600", "fa044b2f42a3fd3b46fb255c")]
    [InlineData("c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea", "00100d746c733133207175696320687000", "9f50449e04a0e810283a1e9933adedd2")]
    [InlineData("7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44", "00200f746c73313320636c69656e7420696e00", "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea")]
    [InlineData("7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44", "00200f746c7331332073657276657220696e00", "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b")]
    [InlineData("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b", "001010746c73313320717569637632206b657900", "8b1a0bc121284290a29e0971b5cd045d")]
    [InlineData("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b", "000c0f746c7331332071756963763220697600", "91f73e2351d8fa91660e909f")]
    [InlineData("14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b", "00100f746c7331332071756963763220687000", "45b95e15235d6f45a6b19cbcb0294ba9")]
    public void Hkdf_label_structures_match_the_RFC(string secret, string hkdfLabel, string expected)
    {
        byte[] viaInfo = HKDF.Expand(HashAlgorithmName.SHA256, Convert.FromHexString(secret), expected.Length / 2, Convert.FromHexString(hkdfLabel));
        Assert.Equal(expected, Convert.ToHexStringLower(viaInfo));
    }

    [Fact]
    public void Initial_protection_pairs_client_and_server()
    {
        InitialSecrets.CreateProtection(InitialSecrets.Version1, Dcid, isServer: false, out var clientSend, out var clientReceive);
        InitialSecrets.CreateProtection(InitialSecrets.Version1, Dcid, isServer: true, out var serverSend, out var serverReceive);
        using (clientSend) using (clientReceive) using (serverSend) using (serverReceive)
        {
            Assert.Equal(clientSend.Payload.Iv.ToArray(), serverReceive.Payload.Iv.ToArray());
            Assert.Equal(serverSend.Payload.Iv.ToArray(), clientReceive.Payload.Iv.ToArray());
            Assert.Equal("fa044b2f42a3fd3b46fb255c", Convert.ToHexStringLower(clientSend.Payload.Iv));
            Assert.Equal("0ac1493ca1905853b0bba03e", Convert.ToHexStringLower(serverSend.Payload.Iv));
        }
    }

    [Fact]
    public void Unknown_versions_and_bad_arguments_are_rejected()
    {
        byte[] a = new byte[32], b = new byte[32];
        Assert.False(InitialSecrets.IsSupportedVersion(0xff00001d));
        Assert.True(InitialSecrets.IsSupportedVersion(1));
        Assert.True(InitialSecrets.IsSupportedVersion(0x6b3343cf));
        var e = Assert.Throws<ArgumentException>(() => InitialSecrets.Derive(0xff00001d, Dcid, a, b));
        Assert.Contains("0xff00001d", e.Message);
        Assert.Throws<ArgumentException>(() => InitialSecrets.Derive(1, Dcid, new byte[31], b));
        Assert.Throws<ArgumentException>(() => PacketProtection.Create(CipherSuite.Aes256GcmSha384, new byte[32]));
        Assert.Throws<ArgumentException>(() => PacketProtection.Create((CipherSuite)0x1304, new byte[32]));
    }
}
