using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

// RFC 9001 Appendix A.4 and RFC 9369 Appendix A.4.
public class RetryIntegrityTests
{
    private static readonly byte[] Odcid = Convert.FromHexString("8394c8f03e515708");

    public static TheoryData<uint, string> Retries => new()
    {
        { InitialSecrets.Version1, Rfc9001Vectors.V1RetryPacket },
        { InitialSecrets.Version2, Rfc9001Vectors.V2RetryPacket },
    };

    [Theory]
    [MemberData(nameof(Retries))]
    public void Tag_matches_the_RFC(uint version, string retryHex)
    {
        byte[] retry = Convert.FromHexString(retryHex);
        byte[] tag = new byte[16];
        RetryIntegrity.ComputeTag(version, Odcid, retry.AsSpan(0, retry.Length - 16), tag);
        Assert.Equal(Convert.ToHexStringLower(retry.AsSpan(retry.Length - 16)), Convert.ToHexStringLower(tag));
        Assert.True(RetryIntegrity.Verify(version, Odcid, retry));
    }

    [Theory]
    [MemberData(nameof(Retries))]
    public void Any_changed_byte_or_other_odcid_or_version_fails(uint version, string retryHex)
    {
        byte[] retry = Convert.FromHexString(retryHex);
        for (int i = 0; i < retry.Length; i++)
        {
            retry[i] ^= 0x20;
            Assert.False(RetryIntegrity.Verify(version, Odcid, retry), $"byte {i} flipped");
            retry[i] ^= 0x20;
        }
        byte[] other = (byte[])Odcid.Clone();
        other[7] ^= 1;
        Assert.False(RetryIntegrity.Verify(version, other, retry));
        Assert.False(RetryIntegrity.Verify(version, Odcid.AsSpan(0, 7), retry));
        Assert.False(RetryIntegrity.Verify(version == 1 ? InitialSecrets.Version2 : 1, Odcid, retry));
        Assert.False(RetryIntegrity.Verify(0xff00001d, Odcid, retry));
        Assert.False(RetryIntegrity.Verify(version, Odcid, retry.AsSpan(0, 15)));
        Assert.True(RetryIntegrity.Verify(version, Odcid, retry));
    }

    [Fact]
    public void Long_retry_packets_beyond_the_stack_buffer_work()
    {
        byte[] retry = new byte[3000 + 16];
        new Random(7).NextBytes(retry);
        RetryIntegrity.ComputeTag(1, Odcid, retry.AsSpan(0, 3000), retry.AsSpan(3000));
        Assert.True(RetryIntegrity.Verify(1, Odcid, retry));
        retry[2999] ^= 1;
        Assert.False(RetryIntegrity.Verify(1, Odcid, retry));
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentException>(() => RetryIntegrity.ComputeTag(1, new byte[21], new byte[10], new byte[16]));
        Assert.Throws<ArgumentException>(() => RetryIntegrity.ComputeTag(1, Odcid, new byte[10], new byte[15]));
        Assert.Throws<ArgumentException>(() => RetryIntegrity.ComputeTag(7, Odcid, new byte[10], new byte[16]));
        Assert.Throws<ArgumentException>(() => RetryIntegrity.Verify(1, new byte[21], new byte[40]));
    }
}
