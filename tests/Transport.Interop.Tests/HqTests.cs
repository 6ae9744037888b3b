using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Transport.Interop.Hq;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class HqTests(WwwFixture www) : IClassFixture<WwwFixture>
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    private static Uri U(string path) => new("https://server4:443" + path);

    [Fact]
    public async Task DownloadsFilesInParallelByteExact()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new HqServer(new WebRoot(www.Root)).ServeConnectionAsync(s);
        string dl = www.NewDownloadDirectory();
        Uri[] urls = [U("/small.txt"), U("/medium.bin"), U("/large.bin"), U("/empty.bin"), U("/dir/nested.txt"), U("/missing.bin"), U("/../secret.txt")];
        DownloadResult[] results = await HqClient.DownloadAllAsync(c, urls, dl).WaitAsync(Safety);
        foreach (string ok in new[] { "small.txt", "medium.bin", "large.bin", "empty.bin", "dir/nested.txt" })
        {
            DownloadResult r = Assert.Single(results, r => r.Url.AbsolutePath == "/" + ok);
            Assert.True(r.Success, r.Error);
            Assert.Equal(File.ReadAllBytes(Path.Combine(www.Root, ok)), File.ReadAllBytes(Path.Combine(dl, Path.GetFileName(ok))));
        }
        Assert.False(Assert.Single(results, r => r.Url.AbsolutePath == "/missing.bin").Success);
        Assert.False(Assert.Single(results, r => r.Url.AbsolutePath.EndsWith("secret.txt")).Success);
        // The missing file and the escape attempt are reset with 404 by the server; nothing else is.
        Assert.Equal(2, s.Incoming.Count(st => st.WriteAbortCode == HqErrorCode.NotFound));
        Assert.Equal(2, s.Incoming.Count(st => st.WriteAbortCode is not null));
        await c.CloseAsync(HqErrorCode.NoError);
        await serverTask.WaitAsync(Safety);
        Assert.Equal([0L, 4L, 8L, 12L, 16L, 20L, 24L], c.Opened.Select(st => st.StreamId).Order());
    }

    private static async Task<(byte[] Body, Exception? Error)> ReadAll(PipeReader reader)
    {
        var ms = new MemoryStream();
        try
        {
            while (true)
            {
                ReadResult r = await reader.ReadAsync();
                foreach (ReadOnlyMemory<byte> seg in r.Buffer) ms.Write(seg.Span);
                reader.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) return (ms.ToArray(), null);
            }
        }
        catch (Exception e) { return (ms.ToArray(), e); }
    }

    [Theory]
    [InlineData("GET /small.txt\r\n", true)]     // CRLF and FIN
    [InlineData("GET /small.txt\r\n", false)]    // CRLF, no FIN (the server must answer on CRLF)
    [InlineData("GET /small.txt", true)]         // FIN without CRLF
    [InlineData("GET /small.txt  \r\n", true)]   // trailing spaces
    [InlineData("GET /small.txt\n", false)]      // bare LF
    public async Task ServerAnswersOnCrlfOrFin(string request, bool fin)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new HqServer(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream st = c.Open(bidirectional: true);
        await st.Output.WriteAsync(Encoding.ASCII.GetBytes(request));
        if (fin) await st.Output.CompleteAsync();
        var (body, error) = await ReadAll(st.Input).WaitAsync(Safety);
        Assert.Null(error);
        Assert.Equal(File.ReadAllBytes(Path.Combine(www.Root, "small.txt")), body);
        await c.CloseAsync(0);
        await serverTask.WaitAsync(Safety);
    }

    [Theory]
    [InlineData("GET /missing\r\n", HqErrorCode.NotFound)]
    [InlineData("GET /../secret.txt\r\n", HqErrorCode.NotFound)]
    [InlineData("GET /%2e%2e/secret.txt\r\n", HqErrorCode.NotFound)]
    [InlineData("GET /dir\r\n", HqErrorCode.NotFound)]          // a directory is not a file
    [InlineData("POST /small.txt\r\n", HqErrorCode.BadRequest)]
    [InlineData("GET small.txt\r\n", HqErrorCode.BadRequest)]
    [InlineData("\r\n", HqErrorCode.BadRequest)]
    public async Task BadRequestsAreReset(string request, long code)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new HqServer(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream st = c.Open(bidirectional: true);
        await st.Output.WriteAsync(Encoding.ASCII.GetBytes(request));
        await st.Output.CompleteAsync();
        var (body, error) = await ReadAll(st.Input).WaitAsync(Safety);
        Assert.Empty(body);
        Assert.Equal(code, Assert.IsType<StreamResetException>(error).ErrorCode);
        await c.CloseAsync(0);
        await serverTask.WaitAsync(Safety);
    }

    [Fact]
    public async Task OverlongRequestWithoutNewlineIsReset()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new HqServer(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream st = c.Open(bidirectional: true);
        byte[] junk = new byte[20_000];
        junk.AsSpan().Fill((byte)'a');
        await st.Output.WriteAsync(junk);
        var (_, error) = await ReadAll(st.Input).WaitAsync(Safety);
        Assert.Equal(HqErrorCode.BadRequest, Assert.IsType<StreamResetException>(error).ErrorCode);
        await c.CloseAsync(0);
        await serverTask.WaitAsync(Safety);
    }

    [Theory]
    [InlineData("GET /a\r\n", "/a")]
    [InlineData("GET /a/b.txt", "/a/b.txt")]
    [InlineData("GET /a \t\r\n", "/a")]
    [InlineData("GET /a HTTP/1.0\r\n", "/a")]
    [InlineData("GET /a\r\nextra", "/a")]
    [InlineData("get /a\r\n", null)]
    [InlineData("GET\r\n", null)]
    [InlineData("", null)]
    public void ParseRequest(string request, string? path) =>
        Assert.Equal(path, HqServer.ParseRequest(Encoding.ASCII.GetBytes(request)));

    [Fact]
    public async Task ManyConcurrentRequestsOnOneConnection()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new HqServer(new WebRoot(www.Root)).ServeConnectionAsync(s);
        string dl = www.NewDownloadDirectory();
        Uri[] urls = Enumerable.Range(0, WwwFixture.ManyCount).Select(i => U($"/many/f{i}.bin")).ToArray();
        DownloadResult[] results = await HqClient.DownloadAllAsync(c, urls, dl).WaitAsync(Safety);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        for (int i = 0; i < WwwFixture.ManyCount; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(www.Root, "many", $"f{i}.bin")), File.ReadAllBytes(Path.Combine(dl, $"f{i}.bin")));
        await c.CloseAsync(HqErrorCode.NoError);
        await serverTask.WaitAsync(Safety);
    }
}
