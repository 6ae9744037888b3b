using Transport.Quic.Tls;

namespace Transport.Quic.Tests.Tls;

public class TlsSessionTicketKeysTests
{
    [Fact]
    public void Sealed_tickets_open_and_tampered_ones_do_not()
    {
        var keys = new TlsSessionTicketKeys();
        byte[] plain = "ticket state"u8.ToArray();
        byte[] a = keys.Seal(plain), b = keys.Seal(plain);
        Assert.NotEqual(a, b); // a fresh nonce per ticket
        Assert.True(keys.TryOpen(a, out byte[] opened));
        Assert.Equal(plain, opened);
        Assert.True(keys.TryOpen(b, out opened));
        Assert.Equal(plain, opened);
        for (int i = 0; i < a.Length; i++)
        {
            byte[] t = (byte[])a.Clone();
            t[i] ^= 0x40;
            Assert.False(keys.TryOpen(t, out _), $"a ticket with byte {i} flipped opened");
        }
        Assert.False(keys.TryOpen(a.AsSpan(0, 31), out _));
    }

    [Fact]
    public void Rotated_out_keys_no_longer_open_and_the_current_key_seals()
    {
        var keys = new TlsSessionTicketKeys { MaxKeys = 2 };
        byte[] old = keys.Seal([1, 2, 3]);
        keys.Rotate();
        byte[] mid = keys.Seal([4]);
        Assert.True(keys.TryOpen(old, out _));
        keys.Rotate(); // the first key leaves the set (its AEAD object is disposed)
        Assert.Equal(2, keys.Count);
        Assert.False(keys.TryOpen(old, out _));
        Assert.True(keys.TryOpen(mid, out byte[] m));
        Assert.Equal([4], m);
        Assert.True(keys.TryOpen(keys.Seal([5]), out m));
        Assert.Equal([5], m);
    }

    [Fact]
    public void A_shared_key_added_on_two_servers_opens_the_others_tickets_and_replacing_it_keeps_working()
    {
        byte[] key = new byte[32];
        key[0] = 7;
        var a = new TlsSessionTicketKeys();
        var b = new TlsSessionTicketKeys();
        a.AddKey(key, makeCurrent: true);
        b.AddKey(key, makeCurrent: false);
        byte[] t = a.Seal([9, 9]);
        Assert.True(b.TryOpen(t, out byte[] p));
        Assert.Equal([9, 9], p);
        b.AddKey(key, makeCurrent: true); // the same id again: the old entry is replaced (and disposed)
        Assert.Equal(2, b.Count);
        Assert.True(b.TryOpen(t, out _));
        Assert.True(a.TryOpen(b.Seal([1]), out p));
        Assert.Equal([1], p);
    }

    [Fact]
    public void Concurrent_seal_open_and_rotation_never_throw_and_current_tickets_open()
    {
        var keys = new TlsSessionTicketKeys { MaxKeys = 3 };
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int opened = 0;
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    for (int i = 0; i < 300; i++)
                    {
                        if (id == 0 && i % 50 == 0) keys.Rotate();
                        byte[] plain = [(byte)id, (byte)i];
                        byte[] sealedTicket = keys.Seal(plain);
                        // Opening right after sealing may fail only if two rotations pushed the key out meanwhile
                        // (MaxKeys 3, one rotation per 50 iterations of one thread): it must never return wrong bytes.
                        if (!keys.TryOpen(sealedTicket, out byte[] result)) continue;
                        Interlocked.Increment(ref opened);
                        if (!result.AsSpan().SequenceEqual(plain)) failures.Add($"thread {id}: ticket {i} opened to other bytes");
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"thread {id}: {e}");
                }
            });
            threads[t].Start();
        }
        foreach (var th in threads) th.Join();
        Assert.Empty(failures);
        Assert.True(opened > 600, $"only {opened} of 1200 fresh tickets opened");
    }
}
