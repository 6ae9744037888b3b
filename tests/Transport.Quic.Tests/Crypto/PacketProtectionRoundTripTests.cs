using FsCheck;
using FsCheck.Fluent;
using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

public class PacketProtectionRoundTripTests
{
    public static TheoryData<CipherSuite, bool, int> Cases()
    {
        var data = new TheoryData<CipherSuite, bool, int>();
        foreach (var suite in PacketTestBuilder.Suites)
            foreach (bool longHeader in new[] { true, false })
                for (int pnLength = 1; pnLength <= 4; pnLength++)
                    data.Add(suite, longHeader, pnLength);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Seal_then_open_restores_header_and_payload(CipherSuite suite, bool longHeader, int packetNumberLength)
    {
        byte[] secret = PacketTestBuilder.Secret(suite, 1);
        using var sender = PacketProtection.Create(suite, secret);
        using var receiver = PacketProtection.Create(suite, secret);
        byte[] payload = new byte[100];
        new Random(2).NextBytes(payload);
        long packetNumber = 0x1234_5678_9aL;
        long largest = packetNumber - 1;
        byte[] packet = PacketTestBuilder.Build(longHeader, packetNumberLength, payload, out int pnOffset);
        int headerLength = pnOffset + packetNumberLength;
        // The unprotected header as the codec wrote it, plus the truncated packet number Seal writes.
        byte[] expectedHeader = packet.AsSpan(0, headerLength).ToArray();
        for (int i = 0; i < packetNumberLength; i++)
            expectedHeader[pnOffset + i] = (byte)(packetNumber >> (8 * (packetNumberLength - 1 - i)));

        Assert.Equal(packet.Length, sender.Seal(packet, headerLength, pnOffset, packetNumberLength, packetNumber));
        Assert.NotEqual(payload, packet.AsSpan(headerLength, payload.Length).ToArray());
        // Header protection changed the packet number bytes or the protected bits of the first byte (almost surely).
        Assert.False(expectedHeader.AsSpan().SequenceEqual(packet.AsSpan(0, headerLength)));
        // Unprotected parts of the header stay as they were.
        Assert.Equal(expectedHeader.AsSpan(1, pnOffset - 1).ToArray(), packet.AsSpan(1, pnOffset - 1).ToArray());
        Assert.Equal(expectedHeader[0] & (longHeader ? 0xf0 : 0xe0), packet[0] & (longHeader ? 0xf0 : 0xe0));

        Assert.True(receiver.TryOpen(packet, pnOffset, largest, out long pn, out int openedHeaderLength, out int payloadLength));
        Assert.Equal(packetNumber, pn);
        Assert.Equal(headerLength, openedHeaderLength);
        Assert.Equal(payload.Length, payloadLength);
        Assert.Equal(expectedHeader, packet.AsSpan(0, headerLength).ToArray());
        Assert.Equal(payload, packet.AsSpan(headerLength, payloadLength).ToArray());
        Assert.Equal(1, sender.EncryptedPackets);
        Assert.Equal(0, receiver.DecryptionFailures);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Any_flipped_byte_makes_open_fail(CipherSuite suite, bool longHeader, int packetNumberLength)
    {
        byte[] secret = PacketTestBuilder.Secret(suite, 3);
        using var sender = PacketProtection.Create(suite, secret);
        using var receiver = PacketProtection.Create(suite, secret);
        byte[] payload = new byte[40];
        new Random(4).NextBytes(payload);
        byte[] packet = PacketTestBuilder.Build(longHeader, packetNumberLength, payload, out int pnOffset);
        sender.Seal(packet, pnOffset + packetNumberLength, pnOffset, packetNumberLength, 77);
        byte[] sealedPacket = packet.ToArray();
        var random = new Random(5);
        for (int i = 0; i < sealedPacket.Length; i++)
        {
            byte[] tampered = sealedPacket.ToArray();
            tampered[i] ^= (byte)random.Next(1, 256);
            Assert.False(receiver.TryOpen(tampered, pnOffset, 76, out _, out _, out _), $"byte {i} of {tampered.Length} changed");
        }
        Assert.Equal(sealedPacket.Length, receiver.DecryptionFailures);
        // The untouched packet still opens.
        Assert.True(receiver.TryOpen(sealedPacket, pnOffset, 76, out long pn, out _, out _));
        Assert.Equal(77, pn);
    }

    [Fact]
    public void Keys_of_another_secret_or_suite_or_version_do_not_open()
    {
        foreach (var suite in PacketTestBuilder.Suites)
        {
            byte[] secret = PacketTestBuilder.Secret(suite, 6);
            using var sender = PacketProtection.Create(suite, secret);
            using var otherSecret = PacketProtection.Create(suite, PacketTestBuilder.Secret(suite, 7));
            using var otherVersion = PacketProtection.Create(suite, secret, InitialSecrets.Version2);
            byte[] packet = PacketTestBuilder.Build(false, 2, new byte[30], out int pnOffset);
            sender.Seal(packet, pnOffset + 2, pnOffset, 2, 5);
            Assert.False(otherSecret.TryOpen(packet.ToArray(), pnOffset, 4, out _, out _, out _));
            Assert.False(otherVersion.TryOpen(packet.ToArray(), pnOffset, 4, out _, out _, out _));
        }
    }

    [Fact]
    public void Short_or_truncated_packets_fail_without_throwing()
    {
        using var receiver = PacketProtection.Create(CipherSuite.Aes128GcmSha256, new byte[32]);
        for (int length = 0; length < 30; length++)
        {
            byte[] packet = new byte[length];
            new Random(length).NextBytes(packet);
            Assert.False(receiver.TryOpen(packet, 9, -1, out _, out _, out _));
            Assert.False(receiver.TryOpen(packet, 0, -1, out _, out _, out _));
            Assert.False(receiver.TryOpen(packet, 1000, -1, out _, out _, out _));
        }
    }

    [Fact]
    public void Inconsistent_seal_arguments_throw_with_a_reason()
    {
        using var sender = PacketProtection.Create(CipherSuite.Aes128GcmSha256, new byte[32]);
        byte[] packet = PacketTestBuilder.Build(false, 2, new byte[30], out int pnOffset);
        Assert.Throws<ArgumentOutOfRangeException>(() => sender.Seal(packet, pnOffset + 5, pnOffset, 5, 1));
        Assert.Throws<ArgumentException>(() => sender.Seal(packet, pnOffset + 3, pnOffset, 2, 1));
        Assert.Throws<ArgumentException>(() => sender.Seal(packet, pnOffset + 3, pnOffset, 3, 1)); // first byte says 2
        Assert.Throws<ArgumentOutOfRangeException>(() => sender.Seal(packet, pnOffset + 2, pnOffset, 2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => sender.Seal(packet, pnOffset + 2, pnOffset, 2, 1L << 62));
        // Packet number plus payload under 4 bytes: no room for the sample (RFC 9001 §5.4.2).
        byte[] tiny = PacketTestBuilder.Build(false, 2, new byte[1], out pnOffset);
        var e = Assert.Throws<ArgumentException>(() => sender.Seal(tiny, pnOffset + 2, pnOffset, 2, 1));
        Assert.Contains("sample", e.Message);
        byte[] justEnough = PacketTestBuilder.Build(false, 2, new byte[PacketProtection.MinimumPayloadLength(2)], out pnOffset);
        sender.Seal(justEnough, pnOffset + 2, pnOffset, 2, 1);
        Assert.Equal(3, PacketProtection.MinimumPayloadLength(1));
        Assert.Equal(0, PacketProtection.MinimumPayloadLength(4));
    }

    [Fact]
    public void Disposed_protection_throws()
    {
        var p = PacketProtection.Create(CipherSuite.Aes128GcmSha256, new byte[32]);
        p.Dispose();
        p.Dispose();
        Assert.Throws<ObjectDisposedException>(() => p.Seal(new byte[64], 11, 9, 2, 1));
    }

    private sealed record Case(CipherSuite Suite, bool LongHeader, int PacketNumberLength, long PacketNumber, long Distance, int PayloadLength, int Seed);

    [Fact]
    public void Property_seal_open_round_trips_random_payloads_and_packet_numbers()
    {
        var gen =
            from suite in Gen.Elements(PacketTestBuilder.Suites)
            from longHeader in Gen.Elements(true, false)
            from pnLength in Gen.Choose(1, 4)
            from hi in Gen.Choose(0, int.MaxValue)
            from lo in Gen.Choose(0, int.MaxValue)
            from small in Gen.Elements(true, false)
            from distanceFraction in Gen.Choose(0, 1000)
            from payloadLength in Gen.Choose(3, 1400)
            from seed in Gen.Choose(0, int.MaxValue)
            let pn = small ? lo % 300 : (((long)hi << 31) | (uint)lo) & ((1L << 62) - 1)
            // The receiver's largest packet number is anywhere in the half window below pn (RFC 9000 §17.1).
            let halfWindow = 1L << (8 * pnLength - 1)
            let distance = Math.Min(pn, (halfWindow - 1) * distanceFraction / 1000)
            select new Case(suite, longHeader, pnLength, pn, distance, payloadLength, seed);

        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            byte[] secret = PacketTestBuilder.Secret(c.Suite, c.Seed);
            using var sender = PacketProtection.Create(c.Suite, secret);
            using var receiver = PacketProtection.Create(c.Suite, secret);
            byte[] payload = new byte[c.PayloadLength];
            new Random(c.Seed).NextBytes(payload);
            byte[] packet = PacketTestBuilder.Build(c.LongHeader, c.PacketNumberLength, payload, out int pnOffset);
            byte first = packet[0];
            int headerLength = pnOffset + c.PacketNumberLength;
            sender.Seal(packet, headerLength, pnOffset, c.PacketNumberLength, c.PacketNumber);
            long largest = c.PacketNumber - 1 - c.Distance;
            return receiver.TryOpen(packet, pnOffset, largest, out long pn, out int h, out int n)
                && pn == c.PacketNumber && h == headerLength && n == payload.Length
                && packet[0] == first
                && packet.AsSpan(headerLength, n).SequenceEqual(payload);
        }).QuickCheckThrowOnFailure();
    }
}
