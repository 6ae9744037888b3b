using FsCheck;
using FsCheck.Fluent;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

public class ReceiveBufferProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(200);

    public sealed record Scenario(byte[] Data, int ChunkSize, (int Start, int End)[] Segments, int ReadSeed)
    {
        public override string ToString() =>
            $"length {Data.Length}, chunk {ChunkSize}, segments [{string.Join(", ", Segments.Select(s => $"{s.Start}..{s.End}"))}], read seed {ReadSeed}";
    }

    // A byte string cut into consecutive segments, plus duplicates and arbitrary overlapping sub-ranges, shuffled.
    private static readonly Gen<Scenario> Scenarios =
        from length in Gen.Choose(0, 3000)
        from chunk in Gen.Elements(3, 64, 1000, 4096)
        from cuts in Gen.ArrayOf(Gen.Choose(0, length))
        from extras in Gen.ArrayOf(from a in Gen.Choose(0, length) from b in Gen.Choose(0, length) select (Math.Min(a, b), Math.Max(a, b)))
        from dataSeed in Gen.Choose(0, int.MaxValue)
        let data = RandomBytes(length, dataSeed)
        let cover = Cover(length, cuts)
        from duplicates in Gen.SubListOf(cover)
        from shuffled in Gen.Shuffle(cover.Concat(duplicates).Concat(extras).ToArray())
        from readSeed in Gen.Choose(0, int.MaxValue)
        select new Scenario(data, chunk, shuffled, readSeed);

    private static byte[] RandomBytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static (int, int)[] Cover(int length, int[] cuts)
    {
        var points = cuts.Append(0).Append(length).Distinct().Order().ToArray();
        var segments = new List<(int, int)>();
        for (int i = 1; i < points.Length; i++) segments.Add((points[i - 1], points[i]));
        if (length == 0) segments.Add((0, 0)); // an empty stream still needs its FIN
        return segments.ToArray();
    }

    [Fact]
    public void Shuffled_duplicated_overlapping_segments_read_back_exactly_once_in_order()
    {
        Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            int length = s.Data.Length;
            using var rb = new ReceiveBuffer(s.ChunkSize);
            var rng = new Random(s.ReadSeed);
            var output = new List<byte>();
            long highest = 0, sumOfIncreases = 0;
            foreach ((int start, int end) in s.Segments)
            {
                bool fin = end == length;
                // The limit is exactly the stream's length: data up to it is within the window.
                var result = rb.Receive(start, s.Data.AsSpan(start, end - start), fin, maxOffset: length, out long increase);
                Assert.Equal(ReceiveResult.Ok, result);
                highest = Math.Max(highest, end);
                sumOfIncreases += increase;
                Assert.Equal(highest, rb.HighestReceivedOffset);
                Assert.Equal(highest, sumOfIncreases);
                Assert.True(rb.BufferedBytes <= length - rb.ReadOffset);

                // Read some of what is ready, by copy or by peek and consume.
                if (rng.Next(3) == 0) continue;
                if (rng.Next(2) == 0)
                {
                    var dst = new byte[rng.Next(1, 2000)];
                    int n = rb.Read(dst);
                    output.AddRange(dst.AsSpan(0, n).ToArray());
                }
                else
                {
                    ReadOnlySpan<byte> peek = rb.PeekContiguous();
                    int n = rng.Next(0, peek.Length + 1);
                    output.AddRange(peek[..n].ToArray());
                    rb.Consume(n);
                }
                Assert.Equal(output.Count, rb.ReadOffset);
            }
            var rest = new byte[length + 1];
            int last = rb.Read(rest);
            output.AddRange(rest.AsSpan(0, last).ToArray());

            Assert.True(s.Data.AsSpan().SequenceEqual(output.ToArray()), "the bytes read differ from the bytes sent");
            Assert.True(rb.IsFinished);
            Assert.Equal((long)length, rb.FinalSize);
            Assert.Equal(0, rb.Read(rest));
            Assert.Equal(0, rb.RentedChunks); // all memory returned once FIN is delivered
        }).Check(Config);
    }

    public enum Violation { ChangedFinalSize, DataBeyondFinalSize, FinBelowReceived, ResetChangesFinalSize, ResetBelowReceived }

    [Fact]
    public void Final_size_violations_are_detected_and_change_nothing()
    {
        Gen<(int Length, int Received, Violation Kind, int Delta)> cases =
            from length in Gen.Choose(1, 2000)
            from received in Gen.Choose(1, length)
            from kind in Gen.Elements(Enum.GetValues<Violation>())
            from delta in Gen.Choose(1, 500)
            select (length, received, kind, delta);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rb = new ReceiveBuffer(64);
            var data = new byte[c.Length + 1000];
            const long Limit = 1L << 20;
            bool finKnown = c.Kind is Violation.ChangedFinalSize or Violation.DataBeyondFinalSize or Violation.ResetChangesFinalSize;
            // Receive [0, received), with FIN when the violation needs a known final size.
            Assert.Equal(ReceiveResult.Ok, rb.Receive(0, data.AsSpan(0, c.Received), finKnown, Limit));
            long readable = rb.ReadableBytes, highest = rb.HighestReceivedOffset;
            long? finalSize = rb.FinalSize;

            ReceiveResult result = c.Kind switch
            {
                // A FIN at another offset (above or below the known final size).
                Violation.ChangedFinalSize => c.Delta % 2 == 0 || c.Received - (c.Delta + 1) / 2 < 0
                    ? rb.Receive(c.Received, data.AsSpan(0, c.Delta), true, Limit)
                    : rb.Receive(0, data.AsSpan(0, c.Received - (c.Delta + 1) / 2), true, Limit),
                Violation.DataBeyondFinalSize => rb.Receive(c.Received - 1 + c.Delta % 2, data.AsSpan(0, c.Delta), false, Limit),
                // A FIN below data already received.
                Violation.FinBelowReceived => rb.Receive(0, data.AsSpan(0, c.Received - 1 - (c.Delta % c.Received)), true, Limit),
                Violation.ResetChangesFinalSize => rb.OnReset(c.Received + c.Delta, Limit, out _, out _),
                Violation.ResetBelowReceived => rb.OnReset(c.Received - 1 - (c.Delta % c.Received), Limit, out _, out _),
                _ => throw new InvalidOperationException(),
            };
            Assert.Equal(ReceiveResult.FinalSizeError, result);
            Assert.Equal(readable, rb.ReadableBytes);
            Assert.Equal(highest, rb.HighestReceivedOffset);
            Assert.Equal(finalSize, rb.FinalSize);
            Assert.False(rb.IsReset);
        }).Check(Config);
    }

    [Fact]
    public void Data_beyond_the_window_is_rejected_and_memory_stays_within_it()
    {
        Gen<(int Window, (int Offset, int Length, bool Fin)[] Frames)> cases =
            from window in Gen.Choose(0, 3000)
            from frames in Gen.ArrayOf(
                from offset in Gen.Choose(0, 3500)
                from length in Gen.Choose(0, 600)
                from fin in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
                select (offset, length, fin))
            select (window, frames);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rb = new ReceiveBuffer(100);
            var data = new byte[4200];
            foreach (var f in c.Frames)
            {
                long highestBefore = rb.HighestReceivedOffset;
                long bufferedBefore = rb.BufferedBytes;
                long? finalBefore = rb.FinalSize;
                ReceiveResult result = rb.Receive(f.Offset, data.AsSpan(0, f.Length), f.Fin, c.Window);
                long end = f.Offset + f.Length;
                bool finalSizeViolation = finalBefore is long fs ? (f.Fin ? end != fs : end > fs) : f.Fin && end < highestBefore;
                if (finalSizeViolation) Assert.Equal(ReceiveResult.FinalSizeError, result);
                else if (end > c.Window) Assert.Equal(ReceiveResult.FlowControlError, result);
                else Assert.Equal(ReceiveResult.Ok, result);
                if (result != ReceiveResult.Ok)
                {
                    Assert.Equal(highestBefore, rb.HighestReceivedOffset);
                    Assert.Equal(bufferedBefore, rb.BufferedBytes);
                }
                Assert.True(rb.HighestReceivedOffset <= c.Window);
                Assert.True(rb.BufferedBytes <= c.Window);
                Assert.True(rb.RentedChunks <= c.Window / 100 + 1);
            }
        }).Check(Config);
    }
}
