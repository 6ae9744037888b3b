using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.Ack;

namespace Transport.Reliable.Tests.Ack;

public class AckRangeSetTests
{
    private static List<AckRange> Ranges(AckRangeSet set)
    {
        var list = new List<AckRange>();
        foreach (var r in set) list.Add(r);
        return list;
    }

    [Fact]
    public void InOrderPacketsFormOneRange()
    {
        var set = new AckRangeSet();
        for (long pn = 0; pn < 100; pn++) Assert.True(set.Add(pn));
        Assert.Equal(1, set.Count);
        Assert.Equal(new AckRange(0, 99), set[0]);
    }

    [Fact]
    public void GapsMakeRangesLargestFirst()
    {
        var set = new AckRangeSet();
        foreach (long pn in new long[] { 0, 1, 2, 5, 6, 9 }) set.Add(pn);
        Assert.Equal([new AckRange(9, 9), new AckRange(5, 6), new AckRange(0, 2)], Ranges(set));
        Assert.Equal(9, set.Largest);
        Assert.Equal(0, set.Smallest);
    }

    [Fact]
    public void FillingAGapMergesAdjacentRanges()
    {
        var set = new AckRangeSet();
        foreach (long pn in new long[] { 0, 1, 3, 4 }) set.Add(pn);
        Assert.Equal(2, set.Count);
        Assert.True(set.Add(2));
        Assert.Equal([new AckRange(0, 4)], Ranges(set));
    }

    [Fact]
    public void DuplicateIsRejected()
    {
        var set = new AckRangeSet();
        Assert.True(set.Add(7));
        Assert.False(set.Add(7));
        Assert.True(set.Contains(7));
        Assert.False(set.Contains(6));
    }

    [Fact]
    public void OverTheBoundTheLowestRangeIsForgottenAndFloorRises()
    {
        var set = new AckRangeSet(maxRanges: 3);
        foreach (long pn in new long[] { 0, 2, 4, 6 }) set.Add(pn);
        Assert.Equal([new AckRange(6, 6), new AckRange(4, 4), new AckRange(2, 2)], Ranges(set));
        Assert.Equal(1, set.Floor);
        Assert.False(set.Add(0)); // below the floor: can no longer tell
        Assert.True(set.Add(1)); // at the floor and adjacent to [2]: extends it
        Assert.Equal(new AckRange(1, 2), set[2]);
        Assert.True(set.Add(8)); // a new highest range when full forgets the lowest
        Assert.Equal([new AckRange(8, 8), new AckRange(6, 6), new AckRange(4, 4)], Ranges(set));
        Assert.Equal(3, set.Floor);
    }

    [Fact]
    public void RemoveUpToTrimsAndRaisesFloor()
    {
        var set = new AckRangeSet();
        foreach (long pn in new long[] { 0, 1, 2, 3, 5, 6, 7, 10 }) set.Add(pn);
        set.RemoveUpTo(5);
        Assert.Equal([new AckRange(10, 10), new AckRange(6, 7)], Ranges(set));
        Assert.Equal(6, set.Floor);
        Assert.False(set.Add(4));
        Assert.True(set.Add(8));
        Assert.Equal([new AckRange(10, 10), new AckRange(6, 8)], Ranges(set));
    }

    [Fact]
    public void ContainsAllChecksAWholeInterval()
    {
        var set = new AckRangeSet();
        foreach (long pn in new long[] { 1, 2, 3, 5 }) set.Add(pn);
        Assert.True(set.ContainsAll(1, 3));
        Assert.False(set.ContainsAll(1, 5));
        Assert.True(set.ContainsAll(4, 3)); // empty interval
        Assert.False(set.ContainsAll(0, 1));
    }

    [Fact]
    public void NegativePacketNumberIsAnArgumentError()
    {
        var set = new AckRangeSet();
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Add(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AckRangeSet(0));
    }

    private static void AssertWellFormed(AckRangeSet set)
    {
        var ranges = Ranges(set);
        for (int i = 0; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].Smallest <= ranges[i].Largest);
            if (i > 0) Assert.True(ranges[i].Largest < ranges[i - 1].Smallest - 1, $"ranges {ranges[i - 1]} and {ranges[i]} touch or overlap");
        }
        Assert.True(ranges.Count <= set.MaxRanges);
    }

    [Fact]
    public void Property_EqualsSortedSetModelWithinTheBound()
    {
        // Packet numbers 0..199 give at most 100 ranges, under the bound of 128: nothing is ever forgotten.
        var arb = Gen.ListOf(Gen.Choose(0, 199)).ToArbitrary();
        Prop.ForAll(arb, numbers =>
        {
            var set = new AckRangeSet(maxRanges: 128);
            var model = new SortedSet<long>();
            foreach (int n in numbers)
            {
                bool added = set.Add(n);
                Assert.Equal(model.Add(n), added);
                AssertWellFormed(set);
            }
            var expanded = new List<long>();
            var ranges = Ranges(set);
            for (int i = ranges.Count - 1; i >= 0; i--)
                for (long pn = ranges[i].Smallest; pn <= ranges[i].Largest; pn++) expanded.Add(pn);
            Assert.Equal(model.ToList(), expanded);
            for (long pn = -1; pn <= 200; pn++) Assert.Equal(model.Contains(pn), set.Contains(pn));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Property_BoundedSetKeepsTheNewestRangesExactly()
    {
        // With a small bound: what the set holds equals the model restricted to [Floor, ∞), and the ranges stay well formed.
        var arb = Gen.ListOf(Gen.Choose(0, 300)).ToArbitrary();
        Prop.ForAll(arb, numbers =>
        {
            var set = new AckRangeSet(maxRanges: 4);
            var model = new SortedSet<long>();
            foreach (int n in numbers)
            {
                if (n >= set.Floor) model.Add(n);
                set.Add(n);
                AssertWellFormed(set);
                model.RemoveWhere(x => x < set.Floor);
                for (long pn = 0; pn <= 300; pn += 7) Assert.Equal(model.Contains(pn), set.Contains(pn));
            }
            long count = 0;
            foreach (var r in set) count += r.Count;
            Assert.Equal(model.Count, count);
        }).QuickCheckThrowOnFailure();
    }
}
