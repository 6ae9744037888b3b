using Transport.Quic.Crypto;

namespace Transport.Quic.Tests.Crypto;

/// <summary>
/// <see cref="HeaderProtection.ApplyBatch"/> (one cipher call for the masks of many packets, as the send path uses
/// for a train of datagrams) must give exactly the bytes of <see cref="HeaderProtection.Apply"/> on each packet, and
/// <see cref="OneRttKeys.SealWithoutHeaderProtection"/> plus a batch must give what <see cref="OneRttKeys.Seal"/> gives.
/// </summary>
public class HeaderProtectionBatchTests
{
    public static TheoryData<CipherSuite, int> SuitesAndCounts()
    {
        var data = new TheoryData<CipherSuite, int>();
        foreach (var suite in PacketTestBuilder.Suites)
            foreach (int count in new[] { 1, 2, 7, 64, 100 })
                data.Add(suite, count);
        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesAndCounts))]
    public void Batch_masks_equal_one_call_per_packet(CipherSuite suite, int count)
    {
        var random = new Random(count * 31 + (int)suite);
        byte[] key = new byte[KeySchedule.KeyLength(suite)];
        random.NextBytes(key);
        using var hp = HeaderProtection.Create(suite, key);
        // Packets of different sizes back to back, long and short headers, packet numbers of 1 to 4 bytes.
        var targets = new HeaderProtectionTarget[count];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            int pnOffset = 1 + random.Next(0, 40);
            int pnLength = random.Next(1, 5);
            int length = pnOffset + 4 + 16 + random.Next(0, 60);
            targets[i] = new HeaderProtectionTarget(offset, offset + pnOffset, pnLength);
            offset += length;
        }
        byte[] buffer = new byte[offset];
        random.NextBytes(buffer);
        for (int i = 0; i < count; i++)
            buffer[targets[i].PacketStart] = (byte)((random.Next(2) == 0 ? 0xc0 : 0x40) | (targets[i].PacketNumberLength - 1));
        byte[] original = (byte[])buffer.Clone();
        byte[] expected = (byte[])buffer.Clone();
        for (int i = 0; i < count; i++)
        {
            var t = targets[i];
            int end = i + 1 < count ? targets[i + 1].PacketStart : buffer.Length;
            hp.Apply(expected.AsSpan(t.PacketStart, end - t.PacketStart), t.PacketNumberOffset - t.PacketStart, t.PacketNumberLength);
        }
        hp.ApplyBatch(buffer, targets);
        Assert.Equal(expected, buffer);
        Assert.NotEqual(original, buffer); // the masks were applied

    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Seal_without_header_protection_then_batch_equals_seal(CipherSuite suite)
    {
        byte[] sendSecret = PacketTestBuilder.Secret(suite, 21), receiveSecret = PacketTestBuilder.Secret(suite, 22);
        using var a = OneRttKeys.Create(suite, sendSecret, receiveSecret);
        using var b = OneRttKeys.Create(suite, sendSecret, receiveSecret);
        using var peer = OneRttKeys.Create(suite, receiveSecret, sendSecret);
        const int packets = 5;
        var targets = new HeaderProtectionTarget[packets];
        var singles = new List<byte[]>();
        var batch = new List<byte>();
        for (int i = 0; i < packets; i++)
        {
            byte[] payload = new byte[30 + i * 17];
            payload.AsSpan().Fill((byte)(i + 1));
            byte[] one = PacketTestBuilder.Build(false, 2, payload, out int pnOffset);
            byte[] two = (byte[])one.Clone();
            a.Seal(one, pnOffset + 2, pnOffset, 2, 100 + i);
            b.SealWithoutHeaderProtection(two, pnOffset + 2, pnOffset, 2, 100 + i);
            targets[i] = new HeaderProtectionTarget(batch.Count, batch.Count + pnOffset, 2);
            singles.Add(one);
            batch.AddRange(two);
        }
        byte[] train = batch.ToArray();
        b.SendHeaderProtection.ApplyBatch(train, targets);
        int offset = 0;
        long largest = -1;
        for (int i = 0; i < packets; i++)
        {
            byte[] one = singles[i];
            Assert.Equal(one, train.AsSpan(offset, one.Length).ToArray());
            Assert.True(peer.TryOpen(one, targets[i].PacketNumberOffset - targets[i].PacketStart, largest, out long pn, out _, out _));
            Assert.Equal(100 + i, pn);
            largest = pn;
            offset += one.Length;
        }
    }

    public static TheoryData<CipherSuite> Suites => new(PacketTestBuilder.Suites);
}
