using System.Security.Cryptography;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

public class AesHeaderProtectionTests
{
    private static byte[] ExpectedMask(byte[] key, byte[] sample)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.EncryptEcb(sample, PaddingMode.None).AsSpan(0, HeaderProtection.MaskLength).ToArray();
    }

    private static byte[] Mask(HeaderProtection hp, byte[] sample)
    {
        byte[] mask = new byte[HeaderProtection.MaskLength];
        hp.ComputeMask(sample, mask);
        return mask;
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Keys_made_from_one_threads_factory_stay_independent(int keyLength)
    {
        // The per-thread ECB factory is never keyed: every encryptor it makes uses its own key.
        byte[] k1 = new byte[keyLength], k2 = new byte[keyLength], sample = new byte[16];
        k1[0] = 1; k2[0] = 2; sample[5] = 0x5a;
        using var a = new AesHeaderProtection(k1);
        using var b = new AesHeaderProtection(k2);
        Assert.Equal(ExpectedMask(k1, sample), Mask(a, sample));
        Assert.Equal(ExpectedMask(k2, sample), Mask(b, sample));
        Assert.NotEqual(Mask(a, sample), Mask(b, sample));
    }

    [Fact]
    public void A_key_made_on_one_thread_works_on_another_after_the_first_made_more_keys()
    {
        byte[] key = new byte[16], sample = new byte[16];
        key[3] = 9; sample[0] = 0x11;
        AesHeaderProtection? made = null;
        var t = new Thread(() => made = new AesHeaderProtection(key));
        t.Start();
        t.Join();
        using var other = new AesHeaderProtection(new byte[16]); // this thread's factory, another key
        using (made)
        {
            Assert.Equal(ExpectedMask(key, sample), Mask(made!, sample));
        }
        Assert.Equal(ExpectedMask(new byte[16], sample), Mask(other, sample));
    }
}
