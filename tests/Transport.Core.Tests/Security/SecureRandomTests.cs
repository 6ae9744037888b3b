using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Security;
using Transport.Core.Wire;
using Xunit;

namespace Transport.Core.Tests.Security;

public class SecureRandomTests
{
    [Fact]
    public void Many_draws_are_distinct()
    {
        var seen = new HashSet<string>();
        Span<byte> b = stackalloc byte[16];
        // 8,000 draws of 16 bytes span 250 refills; a repeat of any 128-bit value means bytes were handed out twice.
        for (int i = 0; i < 8000; i++)
        {
            SecureRandom.Fill(b);
            Assert.True(seen.Add(Convert.ToHexString(b)), $"draw {i} repeated an earlier one");
        }
    }

    [Fact]
    public void Draws_of_mixed_lengths_never_overlap()
    {
        // Lengths that do not divide the buffer size, so draws straddle refills; every 8-byte value is unique.
        var seen = new HashSet<ulong>();
        int[] lengths = [8, 24, 16, 40, 8, 64, 32];
        byte[] b = new byte[64];
        for (int i = 0; i < 3000; i++)
        {
            int n = lengths[i % lengths.Length];
            SecureRandom.Fill(b.AsSpan(0, n));
            for (int k = 0; k < n; k += 8)
                Assert.True(seen.Add(BitConverter.ToUInt64(b, k)), $"draw {i} repeated 8 bytes handed out before");
        }
    }

    [Fact]
    public void Output_covers_every_byte_value()
    {
        // 64 KiB of output in 32-byte draws: a generator that handed out zeroed buffer bytes, or a constant, fails.
        var counts = new int[256];
        Span<byte> b = stackalloc byte[32];
        for (int i = 0; i < 2048; i++)
        {
            SecureRandom.Fill(b);
            foreach (byte x in b) counts[x]++;
        }
        for (int v = 0; v < 256; v++) Assert.True(counts[v] > 0, $"byte value {v} never appeared in 64 KiB");
        // Each value is expected 256 times (binomial, sd 16); 128 is 8 standard deviations away.
        Assert.True(counts.Min() > 128 && counts.Max() < 384, $"byte values are far from uniform: min {counts.Min()}, max {counts.Max()}");
    }

    [Fact]
    public void A_draw_across_the_buffer_end_uses_the_tail_then_refills()
    {
        Span<byte> one = stackalloc byte[1];
        SecureRandom.Fill(one); // the buffer exists
        // Consume until exactly 3 bytes are left.
        while (SecureRandom.BufferedBytesForTesting != 3)
        {
            int left = SecureRandom.BufferedBytesForTesting;
            int n = left > 3 ? Math.Min(left - 3, SecureRandom.MaxBufferedLength) : left == 0 ? 1 : left;
            SecureRandom.Fill(new byte[n]);
        }
        byte[] tail = SecureRandom.BufferForTesting.Slice(SecureRandom.BufferSize - 3).ToArray();
        Assert.True(SecureRandom.BufferForTesting.Slice(0, SecureRandom.BufferSize - 3).IndexOfAnyExcept((byte)0) < 0,
            "handed-out bytes must be zeroed in the buffer");

        byte[] drawn = new byte[10];
        SecureRandom.Fill(drawn);

        Assert.Equal(tail, drawn.AsSpan(0, 3).ToArray());
        Assert.Equal(SecureRandom.BufferSize - 7, SecureRandom.BufferedBytesForTesting);
        ReadOnlySpan<byte> buffer = SecureRandom.BufferForTesting;
        Assert.True(buffer.Slice(0, 7).IndexOfAnyExcept((byte)0) < 0, "the 7 bytes taken from the refill must be zeroed");
        Assert.True(buffer.Slice(7).IndexOfAnyExcept((byte)0) >= 0, "the refill must hold fresh output");
        Assert.NotEqual(new byte[7], drawn.AsSpan(3).ToArray());
    }

    [Fact]
    public void A_draw_that_ends_exactly_at_the_buffer_end_refills_on_the_next()
    {
        Span<byte> b = stackalloc byte[SecureRandom.MaxBufferedLength];
        SecureRandom.Fill(b.Slice(0, 1));
        while (SecureRandom.BufferedBytesForTesting != 0)
            SecureRandom.Fill(b.Slice(0, Math.Min(SecureRandom.BufferedBytesForTesting, b.Length)));
        Assert.True(SecureRandom.BufferForTesting.IndexOfAnyExcept((byte)0) < 0, "an exhausted buffer holds only zeros");
        SecureRandom.Fill(b.Slice(0, 16));
        Assert.Equal(SecureRandom.BufferSize - 16, SecureRandom.BufferedBytesForTesting);
        Assert.True(b.Slice(0, 16).IndexOfAnyExcept((byte)0) >= 0);
    }

    [Fact]
    public void Long_requests_bypass_the_buffer()
    {
        SecureRandom.Fill(new byte[1]);
        int before = SecureRandom.BufferedBytesForTesting;
        byte[] big = new byte[SecureRandom.MaxBufferedLength + 1];
        SecureRandom.Fill(big);
        Assert.Equal(before, SecureRandom.BufferedBytesForTesting);
        Assert.True(big.AsSpan().IndexOfAnyExcept((byte)0) >= 0);
        SecureRandom.Fill(Span<byte>.Empty);
        Assert.Equal(before, SecureRandom.BufferedBytesForTesting);
    }

    [Fact]
    public void Threads_draw_from_their_own_buffers_and_never_share_output()
    {
        SecureRandom.Fill(new byte[1]);
        int mine = SecureRandom.BufferedBytesForTesting;
        var all = new ConcurrentDictionary<string, int>();
        var duplicates = new ConcurrentBag<string>();
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                Span<byte> b = stackalloc byte[16];
                for (int i = 0; i < 2000; i++)
                {
                    SecureRandom.Fill(b);
                    string hex = Convert.ToHexString(b);
                    if (!all.TryAdd(hex, Environment.CurrentManagedThreadId)) duplicates.Add(hex);
                }
            });
            threads[t].Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Empty(duplicates);
        Assert.Equal(threads.Length * 2000, all.Count);
        Assert.Equal(mine, SecureRandom.BufferedBytesForTesting); // other threads did not touch this thread's buffer
    }

    [Fact]
    public void GetBytes_returns_fresh_arrays_of_the_requested_length()
    {
        Assert.Empty(SecureRandom.GetBytes(0));
        byte[] a = SecureRandom.GetBytes(16), b = SecureRandom.GetBytes(16);
        Assert.Equal(16, a.Length);
        Assert.NotEqual(a, b);
        Assert.Equal(200, SecureRandom.GetBytes(200).Length);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SecureRandom.GetBytes(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecureRandom.GetInt32(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecureRandom.GetInt32(-5));
        var empty = Assert.Throws<ArgumentException>(() => SecureRandom.GetInt32(5, 5));
        Assert.Contains("empty", empty.Message);
        Assert.Throws<ArgumentException>(() => SecureRandom.GetInt32(6, 5));
    }

    [Fact]
    public void GetInt32_stays_in_range()
    {
        Prop.ForAll(ArbMap.Default.GeneratorFor<int>().ToArbitrary(), ArbMap.Default.GeneratorFor<int>().ToArbitrary(), (a, b) =>
        {
            if (a == b) return true;
            int lo = Math.Min(a, b), hi = Math.Max(a, b);
            int v = SecureRandom.GetInt32(lo, hi);
            return v >= lo && v < hi;
        }).QuickCheckThrowOnFailure();
        int full = SecureRandom.GetInt32(int.MinValue, int.MaxValue);
        Assert.True(full < int.MaxValue);
    }

    [Fact]
    public void GetInt32_reaches_every_value_of_a_small_range()
    {
        var seen = new bool[16];
        for (int i = 0; i < 2000; i++) seen[SecureRandom.GetInt32(16)] = true;
        Assert.All(seen, Assert.True);
        var seen3 = new bool[3];
        for (int i = 0; i < 500; i++) seen3[SecureRandom.GetInt32(10, 13) - 10] = true;
        Assert.All(seen3, Assert.True);
    }

    [Fact]
    public void Connection_ids_come_from_the_buffered_generator()
    {
        SecureRandom.Fill(new byte[1]);
        int before = SecureRandom.BufferedBytesForTesting;
        var id = ConnectionId.NewRandom(8);
        int after = SecureRandom.BufferedBytesForTesting;
        Assert.Equal(8, id.Length);
        // 8 bytes were taken, or the buffer was refilled in between.
        Assert.True(after == before - 8 || (before < 8 && after == SecureRandom.BufferSize - (8 - before)), $"{before} -> {after}");
        Assert.NotEqual(ConnectionId.NewRandom(8), ConnectionId.NewRandom(8));
    }
}
