using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

public class ByteRangeSetTests
{
    [Fact]
    public void Add_merges_overlapping_and_adjacent_ranges()
    {
        var set = new ByteRangeSet();
        Assert.Equal(10, set.Add(10, 20));
        Assert.Equal(10, set.Add(30, 40));
        Assert.Equal(2, set.Count);
        Assert.Equal(10, set.Add(20, 30)); // touches both: one range
        Assert.Equal(1, set.Count);
        Assert.Equal(10, set.StartAt(0));
        Assert.Equal(40, set.EndAt(0));
        Assert.Equal(0, set.Add(15, 35));
        Assert.Equal(30, set.TotalLength);
        Assert.Equal(0, set.PrefixEnd);
        Assert.Equal(10, set.Add(0, 10));
        Assert.Equal(40, set.PrefixEnd);
    }

    [Fact]
    public void Remove_splits_trims_and_drops_ranges()
    {
        var set = new ByteRangeSet();
        set.Add(0, 100);
        Assert.Equal(10, set.Remove(40, 50));
        Assert.Equal(2, set.Count);
        Assert.Equal(40, set.EndAt(0));
        Assert.Equal(50, set.StartAt(1));
        set.Add(120, 130);
        Assert.Equal(10 + 50 + 5, set.Remove(30, 125));
        Assert.Equal(2, set.Count);
        Assert.Equal(30, set.EndAt(0));
        Assert.Equal(125, set.StartAt(1));
        Assert.Equal(35, set.TotalLength);
        Assert.Equal(0, set.Remove(200, 300));
    }

    private sealed record Op(bool Add, int Start, int End);

    // Model check against a plain bool array.
    [Fact]
    public void Behaves_like_a_set_of_offsets()
    {
        const int Size = 200;
        Gen<Op> op =
            from add in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
            from a in Gen.Choose(0, Size)
            from b in Gen.Choose(0, Size)
            select new Op(add, Math.Min(a, b), Math.Max(a, b));
        Prop.ForAll(Gen.ArrayOf(op).ToArbitrary(), ops =>
        {
            var set = new ByteRangeSet(1);
            var model = new bool[Size];
            foreach (Op o in ops)
            {
                long before = model.Count(x => x);
                long changed = o.Add ? set.Add(o.Start, o.End) : set.Remove(o.Start, o.End);
                for (int i = o.Start; i < o.End; i++) model[i] = o.Add;
                Assert.Equal(Math.Abs(model.Count(x => x) - before), changed);
                Assert.Equal(model.Count(x => x), set.TotalLength);
                // Ranges are sorted, disjoint, non-adjacent, non-empty and cover exactly the model.
                var covered = new bool[Size];
                for (int r = 0; r < set.Count; r++)
                {
                    Assert.True(set.StartAt(r) < set.EndAt(r));
                    if (r > 0) Assert.True(set.EndAt(r - 1) < set.StartAt(r));
                    for (long i = set.StartAt(r); i < set.EndAt(r); i++) covered[i] = true;
                }
                Assert.True(model.AsSpan().SequenceEqual(covered), "ranges do not cover exactly the model");
                for (int p = 0; p < Size; p++)
                {
                    int idx = set.FirstEndingAfter(p);
                    if (!(idx == set.Count || set.EndAt(idx) > p) || !(idx == 0 || set.EndAt(idx - 1) <= p))
                        Assert.Fail($"FirstEndingAfter({p}) = {idx} is wrong");
                    if (model[p] != set.Contains(p, p + 1)) Assert.Fail($"Contains({p}) is wrong");
                }
            }
        }).QuickCheckThrowOnFailure();
    }
}
