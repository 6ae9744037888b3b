using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

// RFC 9001 §6.6.
public class AeadLimitsTests
{
    [Fact]
    public void Limits_per_suite_are_the_RFC_values()
    {
        Assert.Equal(8_388_608L, AeadLimits.ConfidentialityLimit(CipherSuite.Aes128GcmSha256));
        Assert.Equal(8_388_608L, AeadLimits.ConfidentialityLimit(CipherSuite.Aes256GcmSha384));
        Assert.True(AeadLimits.ConfidentialityLimit(CipherSuite.ChaCha20Poly1305Sha256) >= 1L << 62);
        Assert.Equal(4_503_599_627_370_496L, AeadLimits.IntegrityLimit(CipherSuite.Aes128GcmSha256));
        Assert.Equal(4_503_599_627_370_496L, AeadLimits.IntegrityLimit(CipherSuite.Aes256GcmSha384));
        Assert.Equal(68_719_476_736L, AeadLimits.IntegrityLimit(CipherSuite.ChaCha20Poly1305Sha256));
        Assert.Throws<ArgumentException>(() => AeadLimits.IntegrityLimit((CipherSuite)0x1305));
    }

    [Fact]
    public void Counters_follow_sealed_packets_and_failures_and_reset_with_a_new_send_key()
    {
        byte[] secret = PacketTestBuilder.Secret(CipherSuite.Aes128GcmSha256, 41);
        using var sender = OneRttKeys.Create(CipherSuite.Aes128GcmSha256, secret, secret);
        using var receiver = OneRttKeys.Create(CipherSuite.Aes128GcmSha256, secret, secret);
        for (int i = 0; i < 3; i++)
        {
            byte[] packet = PacketTestBuilder.Build(false, 1, new byte[10], out int off);
            sender.Seal(packet, off + 1, off, 1, i);
            packet[^1] ^= 1;
            Assert.False(receiver.TryOpen(packet, off, i - 1, out _, out _, out _));
        }
        Assert.Equal(3, sender.EncryptedPackets);
        Assert.Equal(3, receiver.DecryptionFailures);
        Assert.True(sender.TryInitiateKeyUpdate());
        Assert.Equal(0, sender.EncryptedPackets);
    }
}
