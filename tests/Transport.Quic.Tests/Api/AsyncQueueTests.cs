namespace Transport.Quic.Tests.Api;

/// <summary>The API's lazy wait primitives: nothing written before the first reader is lost, every item is read once, completion wakes every waiter, results set before or while a waiter asks are seen.</summary>
public class AsyncQueueTests
{
    [Fact]
    public async Task Items_written_before_the_first_reader_are_read_in_order_then_completion_gives_null()
    {
        var q = new AsyncQueue<string>();
        Assert.True(q.TryWrite("a"));
        Assert.True(q.TryWrite("b"));
        q.Complete();
        Assert.False(q.TryWrite("c"));
        Assert.Equal("a", await q.ReadAsync(default));
        Assert.Equal("b", await q.ReadAsync(default));
        Assert.Null(await q.ReadAsync(default));
    }

    [Fact]
    public async Task A_full_queue_drops_its_oldest_and_counts_it()
    {
        var q = new AsyncQueue<string>(capacity: 2);
        q.TryWrite("a");
        q.TryWrite("b");
        q.TryWrite("c");
        Assert.Equal(1, q.Dropped);
        Assert.Equal("b", await q.ReadAsync(default));
        Assert.Equal("c", await q.ReadAsync(default));
    }

    [Fact]
    public async Task Completion_wakes_every_waiter_and_cancellation_takes_no_item()
    {
        var q = new AsyncQueue<string>();
        var waiters = Enumerable.Range(0, 4).Select(_ => q.ReadAsync(default).AsTask()).ToArray();
        using var cts = new CancellationTokenSource();
        var cancelled = q.ReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        q.TryWrite("x");
        q.Complete();
        var results = await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(results, r => r == "x");
        Assert.Equal(3, results.Count(r => r is null));
    }

    [Fact]
    public async Task Concurrent_writers_and_readers_deliver_every_item_exactly_once()
    {
        const int Writers = 4, PerWriter = 5000, Readers = 3;
        var q = new AsyncQueue<string>();
        var items = Enumerable.Range(0, Writers * PerWriter).Select(i => i.ToString()).ToArray();
        var readers = Enumerable.Range(0, Readers).Select(_ => Task.Run(async () =>
        {
            var got = new List<string>();
            while (await q.ReadAsync(default) is { } s) got.Add(s);
            return got;
        })).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < PerWriter; i++) Assert.True(q.TryWrite(items[w * PerWriter + i]));
        })));
        q.Complete();
        var all = (await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30))).SelectMany(l => l).ToList();
        Assert.Equal(items.Length, all.Count);
        Assert.Equal(items.OrderBy(s => s), all.OrderBy(s => s));
    }

    [Fact]
    public async Task A_lazy_result_set_before_during_or_after_the_first_ask_completes_every_task()
    {
        for (int round = 0; round < 2000; round++)
        {
            var holder = new Holder();
            var ask = Task.Factory.StartNew(() => holder.Result.Task, CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default); // not unwrapped
            holder.Result.TrySet(round);
            Assert.False(holder.Result.TrySet(-1));
            Task<int> t = await ask;
            Assert.Equal(round, await t.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(round, await holder.Result.Task);
        }
    }

    private sealed class Holder
    {
        public LazyResult<int> Result;
    }
}
