using System.Security.Cryptography;
using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

/// <summary>Known answers from RFC 8448 §3 (simple 1-RTT handshake) and §4 (resumed 0-RTT handshake).</summary>
public class TlsKeyScheduleTests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex);

    private const string ClientHello =
        "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01" +
        "000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413" +
        "691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001";
    private const string ServerHello =
        "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c6" +
        "72e156d6cc253b833df1dd69b1b04e751f0f002b00020304";

    [Fact]
    public void Rfc8448_SimpleHandshake_X25519AndKeySchedule()
    {
        // {client} x25519 key pair and the server's public key.
        using var share = new KeyShare(H("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"));
        Assert.Equal(H("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"), share.PublicKey);
        byte[] shared = share.DeriveSharedSecret(H("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"));
        Assert.Equal(H("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"), shared);

        var ks = new TlsKeySchedule(HashAlgorithmName.SHA256, ReadOnlySpan<byte>.Empty);
        Assert.Equal(H("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"), ks.EarlySecret);
        ks.SetSharedSecret(shared);
        Assert.Equal(H("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"), ks.HandshakeSecret);

        byte[] helloHash = SHA256.HashData([.. H(ClientHello), .. H(ServerHello)]);
        Assert.Equal(H("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"), helloHash);
        byte[] clientHs = ks.DeriveSecret(ks.HandshakeSecret!, "c hs traffic", helloHash);
        Assert.Equal(H("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"), clientHs);
        Assert.Equal(H("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"), ks.DeriveSecret(ks.HandshakeSecret!, "s hs traffic", helloHash));
        Assert.Equal(H("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"), ks.MasterSecret);

        byte[] serverFinishedHash = H("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13");
        Assert.Equal(H("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"), ks.DeriveSecret(ks.MasterSecret!, "c ap traffic", serverFinishedHash));
        Assert.Equal(H("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"), ks.DeriveSecret(ks.MasterSecret!, "s ap traffic", serverFinishedHash));
        // {client} calculate finished.
        Assert.Equal(H("a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"), ks.FinishedVerifyData(clientHs, serverFinishedHash));
        // The same in two steps, as the handshakes do it (finished_key derived when the secret is installed).
        Assert.Equal(H("a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"),
            ks.FinishedVerifyDataFromKey(ks.FinishedKey(clientHs), serverFinishedHash));

        byte[] resumptionMaster = ks.DeriveSecret(ks.MasterSecret!, "res master", H("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"));
        Assert.Equal(H("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"), resumptionMaster);
        // The ticket in §3 has nonce 00 00; §4 resumes with this PSK.
        Assert.Equal(H("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"), ks.TicketPsk(resumptionMaster, [0, 0]));
    }

    [Fact]
    public void Rfc8448_ResumedHandshake_BinderAndEarlyTrafficSecret()
    {
        var ks = new TlsKeySchedule(HashAlgorithmName.SHA256, H("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"));
        Assert.Equal(H("9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"), ks.EarlySecret);
        byte[] binderKey = ks.ResumptionBinderKey();
        Assert.Equal(H("69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"), binderKey);
        Assert.Equal(H("3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"),
            ks.FinishedVerifyData(binderKey, H("63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14")));
        Assert.Equal(H("3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62"),
            ks.DeriveSecret(ks.EarlySecret, "c e traffic", H("08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913")));
    }

    [Fact]
    public void X25519_AllZeroResult_IsRejected()
    {
        using var share = new KeyShare(TlsNamedGroup.X25519);
        var e = Assert.Throws<TlsAlertException>(() => share.DeriveSharedSecret(new byte[32]));
        Assert.Equal(TlsAlert.IllegalParameter, e.Alert);
    }

    [Theory]
    [InlineData(TlsNamedGroup.X25519)]
    [InlineData(TlsNamedGroup.Secp256r1)]
    [InlineData(TlsNamedGroup.Secp384r1)]
    public void KeyShares_AgreeBothWays(TlsNamedGroup group)
    {
        using var a = new KeyShare(group);
        using var b = new KeyShare(group);
        Assert.Equal(a.DeriveSharedSecret(b.PublicKey), b.DeriveSharedSecret(a.PublicKey));
        if (group != TlsNamedGroup.X25519) Assert.Equal(0x04, a.PublicKey[0]);
        Assert.Equal(group switch { TlsNamedGroup.X25519 => 32, TlsNamedGroup.Secp256r1 => 65, _ => 97 }, a.PublicKey.Length);
    }
}
