using Transport.Reliable.Ack;

namespace Transport.Reliable.Tests.Ack;

public class AckRangeEncodingTests
{
    [Fact]
    public void DecodesFirstRangeAndGaps()
    {
        // RFC 9000 §19.3.1: largest 10, first range 2 -> [8..10]; gap 1, length 1 -> largest 8-1-2 = 5, [4..5].
        Assert.Equal(ReliableError.None, AckRangeEncoding.DecodeFirst(10, 2, out var first));
        Assert.Equal(new AckRange(8, 10), first);
        Assert.Equal(ReliableError.None, AckRangeEncoding.DecodeNext(first, 1, 1, out var next));
        Assert.Equal(new AckRange(4, 5), next);
        // Gap 0 means exactly one missing packet number.
        Assert.Equal(ReliableError.None, AckRangeEncoding.DecodeNext(next, 0, 0, out var third));
        Assert.Equal(new AckRange(2, 2), third);
    }

    [Theory]
    [InlineData(5, 6)]
    [InlineData(0, 1)]
    public void FirstRangeBelowZeroIsUnderflow(long largest, long firstRange) =>
        Assert.Equal(ReliableError.AckRangeUnderflow, AckRangeEncoding.DecodeFirst(largest, firstRange, out _));

    [Theory]
    [InlineData(3, 2, 0)]   // largest = 3 - 2 - 2 < 0
    [InlineData(3, 0, 2)]   // largest = 1, smallest = 1 - 2 < 0
    [InlineData(1, 0, 0)]   // largest = -1
    [InlineData(10, long.MaxValue, 0)]
    public void FollowingRangeBelowZeroIsUnderflow(long previousSmallest, long gap, long length) =>
        Assert.Equal(ReliableError.AckRangeUnderflow, AckRangeEncoding.DecodeNext(new AckRange(previousSmallest, 20), gap, length, out _));

    [Fact]
    public void NegativeFieldsAreMalformed()
    {
        Assert.Equal(ReliableError.MalformedAckRanges, AckRangeEncoding.DecodeFirst(-1, 0, out _));
        Assert.Equal(ReliableError.MalformedAckRanges, AckRangeEncoding.DecodeNext(new AckRange(10, 20), -1, 0, out _));
    }

    [Fact]
    public void EncodeRoundTripsThroughDecode()
    {
        var set = new AckRangeSet();
        foreach (long pn in new long[] { 0, 1, 4, 5, 6, 9, 20, 21 }) set.Add(pn);
        Span<AckRange> ranges = stackalloc AckRange[set.Count];
        set.CopyTo(ranges);
        long firstRange = AckRangeEncoding.EncodeFirst(ranges[0]);
        Assert.Equal(ReliableError.None, AckRangeEncoding.DecodeFirst(ranges[0].Largest, firstRange, out var decoded));
        Assert.Equal(ranges[0], decoded);
        for (int i = 1; i < ranges.Length; i++)
        {
            AckRangeEncoding.EncodeNext(ranges[i - 1], ranges[i], out long gap, out long length);
            Assert.Equal(ReliableError.None, AckRangeEncoding.DecodeNext(decoded, gap, length, out decoded));
            Assert.Equal(ranges[i], decoded);
        }
    }

    [Fact]
    public void EncodingAdjacentRangesIsAnArgumentError() =>
        Assert.Throws<ArgumentException>(() => AckRangeEncoding.EncodeNext(new AckRange(5, 6), new AckRange(3, 4), out _, out _));
}
