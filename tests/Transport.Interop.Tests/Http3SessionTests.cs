using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class Http3SessionTests(WwwFixture www) : IClassFixture<WwwFixture>
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30); // a hang guard, never a timing assertion

    private static Uri U(string path) => new("https://server4:443" + path);

    [Fact]
    public async Task DownloadsFilesInParallelByteExact()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        var client = new Http3Client(c);
        await client.StartAsync();
        string dl = www.NewDownloadDirectory();
        Uri[] urls =
        [
            U("/small.txt"), U("/medium.bin"), U("/large.bin"), U("/empty.bin"), U("/dir/nested.txt"),
            U("/name%20with%20space.txt"), U("/missing.bin"), U("/../secret.txt"), U("/%2e%2e/secret.txt"),
        ];
        DownloadResult[] results = await client.DownloadAllAsync(urls, dl).WaitAsync(Safety);

        foreach (string ok in new[] { "small.txt", "medium.bin", "large.bin", "empty.bin", "dir/nested.txt", "name with space.txt" })
        {
            DownloadResult r = Assert.Single(results, r => Uri.UnescapeDataString(r.Url.AbsolutePath) == "/" + ok);
            Assert.True(r.Success, r.Error);
            Assert.Equal(200, r.Status);
            byte[] expected = File.ReadAllBytes(Path.Combine(www.Root, ok));
            Assert.Equal(expected.Length, r.BytesReceived);
            Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dl, Path.GetFileName(ok))));
        }
        foreach (DownloadResult r in results.Where(r => r.Url.AbsolutePath.Contains("missing") || r.Url.AbsolutePath.Contains("secret")))
        {
            Assert.False(r.Success);
            Assert.Equal(404, r.Status);
        }
        Assert.False(File.Exists(Path.Combine(dl, "secret.txt")));

        Http3Settings serverSettings = await client.Session.PeerSettings.WaitAsync(Safety);
        Assert.Equal(65536UL, serverSettings.MaxFieldSectionSize);
        await client.CloseAsync().WaitAsync(Safety);
        await serverTask.WaitAsync(Safety);
        Assert.Equal(Http3ErrorCode.NoError, c.LocalCloseCode);
        Assert.Null(s.LocalCloseCode);
        // Each side opened exactly one unidirectional stream, its control stream, and never finished it.
        Assert.Single(c.Opened, st => (st.StreamId & 2) != 0);
        Assert.Single(s.Opened, st => (st.StreamId & 2) != 0);
        Assert.Equal([0L, 4L, 8L, 12L, 16L, 20L, 24L, 28L, 32L], c.Opened.Where(st => (st.StreamId & 2) == 0).Select(st => st.StreamId).Order());
    }

    // Bytes a hand-driven client sends on new unidirectional streams, and the code the server must close with.
    [Theory]
    [InlineData(Http3ErrorCode.MissingSettings, "00 0000")]                       // control stream starts with DATA
    [InlineData(Http3ErrorCode.MissingSettings, "00 2100")]                       // ... or with a reserved frame
    [InlineData(Http3ErrorCode.SettingsError, "00 04020200")]                     // HTTP/2 setting 0x2
    [InlineData(Http3ErrorCode.SettingsError, "00 0404 0600 0600")]               // duplicate setting
    [InlineData(Http3ErrorCode.FrameError, "00 0401 06")]                         // truncated setting
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0400")]                  // second SETTINGS
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0100")]                  // HEADERS on control
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0000")]                  // DATA on control
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0500")]                  // PUSH_PROMISE on control
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0600")]                  // HTTP/2 PING type
    [InlineData(Http3ErrorCode.IdError, "00 0400 0d0105 0d0104")]                 // MAX_PUSH_ID decreases
    [InlineData(Http3ErrorCode.IdError, "00 0400 030100")]                        // CANCEL_PUSH without MAX_PUSH_ID
    [InlineData(Http3ErrorCode.FrameError, "00 0400 07020000")]                   // GOAWAY with an extra byte
    [InlineData(Http3ErrorCode.StreamCreationError, "00 0400", "00 0400")]        // two control streams
    [InlineData(Http3ErrorCode.StreamCreationError, "01 00")]                     // push stream from a client
    [InlineData(Http3ErrorCode.QpackEncoderStreamError, "02 c00161")]             // insert with capacity 0
    [InlineData(Http3ErrorCode.QpackEncoderStreamError, "02 21")]                 // capacity 1 > maximum 0
    [InlineData(Http3ErrorCode.QpackEncoderStreamError, "02 00")]                 // duplicate
    [InlineData(Http3ErrorCode.QpackDecoderStreamError, "03 84")]                 // section acknowledgment
    [InlineData(Http3ErrorCode.QpackDecoderStreamError, "03 01")]                 // insert count increment
    [InlineData(Http3ErrorCode.StreamCreationError, "02", "02")]                  // two encoder streams
    public async Task ServerClosesOnControlAndQpackStreamErrors(long expected, string first, string? second = null)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        foreach (string? hex in new[] { first, second })
        {
            if (hex is null) continue;
            InMemoryStream st = c.Open(bidirectional: false);
            await st.Output.WriteAsync(Hex.Parse(hex));
        }
        await serverTask.WaitAsync(Safety);
        Assert.Equal(expected, s.LocalCloseCode);
    }

    [Theory]
    [InlineData("00 0400")]   // control stream: SETTINGS, then FIN
    [InlineData("00")]        // control stream: FIN before SETTINGS
    [InlineData("02 20")]     // encoder stream: Set Dynamic Table Capacity 0 (valid), then FIN
    [InlineData("03 44")]     // decoder stream: Stream Cancellation (valid), then FIN
    public async Task ClosingACriticalStreamIsClosedCriticalStream(string hex)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream st = c.Open(bidirectional: false);
        await st.Output.WriteAsync(Hex.Parse(hex));
        await st.Output.CompleteAsync();
        await serverTask.WaitAsync(Safety);
        Assert.Equal(Http3ErrorCode.ClosedCriticalStream, s.LocalCloseCode);
    }

    [Fact]
    public async Task UnknownStreamTypesAndFramesAreIgnored()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        var client = new Http3Client(c);
        await client.StartAsync();
        // A reserved stream type (0x1f*2+0x21 = 0x5f, 2-byte varint 405f): the server stops reading it.
        InMemoryStream grease = c.Open(bidirectional: false);
        await grease.Output.WriteAsync(Hex.Parse("405f 0102 03"));
        InMemoryStream serverSide = s.Incoming.Single(x => x.StreamId == grease.StreamId);
        Assert.Equal(Http3ErrorCode.StreamCreationError, await serverSide.ReadAborted.WaitAsync(Safety));

        // A request with reserved and unknown frames around its HEADERS.
        InMemoryStream req = c.Open(bidirectional: true);
        byte[] block = QpackEncoder.Encode(
        [
            new HeaderField(":method", "GET"), new HeaderField(":scheme", "https"),
            new HeaderField(":authority", "x"), new HeaderField(":path", "/small.txt"),
        ]);
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Http3Frames.WriteFrame(w, 0x21, [9, 9]);
        Http3Frames.WriteFrame(w, Http3FrameType.Headers, block);
        Http3Frames.WriteFrame(w, 0x1234, [1]);
        await req.Output.WriteAsync(w.WrittenMemory);
        await req.Output.CompleteAsync();
        var reader = new Http3FrameReader(req.Input);
        Assert.True(await reader.ReadFrameHeaderAsync().AsTask().WaitAsync(Safety));
        Assert.Equal(Http3FrameType.Headers, reader.FrameType);
        var fields = QpackDecoder.Decode(await reader.ReadPayloadAsync(1000));
        Assert.Contains(new HeaderField(":status", "200"), fields);
        Assert.Contains(new HeaderField("content-length", "1000"), fields);
        long body = 0;
        while (await reader.ReadFrameHeaderAsync())
        {
            Assert.Equal(Http3FrameType.Data, reader.FrameType);
            body += (long)reader.PayloadLength;
        }
        Assert.Equal(1000, body);

        await client.CloseAsync().WaitAsync(Safety);
        await serverTask.WaitAsync(Safety);
        Assert.Null(s.LocalCloseCode);
    }

    private static byte[] Request(params HeaderField[] fields)
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Http3Frames.WriteFrame(w, Http3FrameType.Headers, QpackEncoder.Encode(fields));
        return w.WrittenSpan.ToArray();
    }

    private static readonly HeaderField[] GoodRequest =
    [
        new(":method", "GET"), new(":scheme", "https"), new(":authority", "x"), new(":path", "/small.txt"),
    ];

    public static TheoryData<long, string> ConnectionErrorRequests => new()
    {
        { Http3ErrorCode.FrameUnexpected, "0001aa" },             // DATA before HEADERS
        { Http3ErrorCode.FrameUnexpected, "0400" },               // SETTINGS on a request stream
        { Http3ErrorCode.FrameUnexpected, "070100" },             // GOAWAY on a request stream
        { Http3ErrorCode.FrameUnexpected, "0500" },               // PUSH_PROMISE from a client
        { Http3ErrorCode.QpackDecompressionFailed, "0104 0381 1011" }, // RFC 9204 B.2 dynamic references
        { Http3ErrorCode.QpackDecompressionFailed, "0103 0000 80" },
        { Http3ErrorCode.QpackDecompressionFailed, "0104 0000 5184" }, // value longer than the frame
        { Http3ErrorCode.FrameError, "0105 0000" },               // HEADERS frame cut by FIN
    };

    [Theory]
    [MemberData(nameof(ConnectionErrorRequests))]
    public async Task BadRequestFramesCloseTheConnection(long expected, string hex)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream req = c.Open(bidirectional: true);
        await req.Output.WriteAsync(Hex.Parse(hex));
        await req.Output.CompleteAsync();
        await serverTask.WaitAsync(Safety);
        Assert.Equal(expected, s.LocalCloseCode);
    }

    public static TheoryData<long, HeaderField[]> MalformedRequests => new()
    {
        { Http3ErrorCode.MessageError, [new(":method", "GET"), new(":scheme", "https")] },                       // no :path
        { Http3ErrorCode.MessageError, [.. GoodRequest, new(":path", "/x")] },                                   // repeated
        { Http3ErrorCode.MessageError, [new("x-a", "1"), .. GoodRequest] },                                      // pseudo after regular
        { Http3ErrorCode.MessageError, [.. GoodRequest, new("X-Upper", "1")] },                                  // uppercase name
        { Http3ErrorCode.MessageError, [.. GoodRequest, new(":status", "200")] },                                // response pseudo-header
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task MalformedRequestsResetOnlyTheirStream(long expected, HeaderField[] fields)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream req = c.Open(bidirectional: true);
        await req.Output.WriteAsync(Request(fields));
        await req.Output.CompleteAsync();
        var e = await Assert.ThrowsAsync<StreamResetException>(async () => await req.Input.ReadAsync().AsTask().WaitAsync(Safety));
        Assert.Equal(expected, e.ErrorCode);

        // The connection lives on: a good request on another stream works.
        InMemoryStream ok = c.Open(bidirectional: true);
        await ok.Output.WriteAsync(Request(GoodRequest));
        await ok.Output.CompleteAsync();
        var reader = new Http3FrameReader(ok.Input);
        Assert.True(await reader.ReadFrameHeaderAsync().AsTask().WaitAsync(Safety));
        Assert.Contains(new HeaderField(":status", "200"), QpackDecoder.Decode(await reader.ReadPayloadAsync(1000)));
        await c.CloseAsync(Http3ErrorCode.NoError);
        await serverTask.WaitAsync(Safety);
        Assert.Null(s.LocalCloseCode);
    }

    [Fact]
    public async Task RequestWithoutHeadersIsRequestIncomplete()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        InMemoryStream req = c.Open(bidirectional: true);
        await req.Output.WriteAsync(Hex.Parse("2100")); // a reserved frame, then FIN
        await req.Output.CompleteAsync();
        var e = await Assert.ThrowsAsync<StreamResetException>(async () => await req.Input.ReadAsync().AsTask().WaitAsync(Safety));
        Assert.Equal(Http3ErrorCode.RequestIncomplete, e.ErrorCode);
        await c.CloseAsync(Http3ErrorCode.NoError);
        await serverTask.WaitAsync(Safety);
    }

    [Fact]
    public async Task HeadAndOtherMethods()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        foreach (var (method, status, bodyExpected) in new[] { ("HEAD", "200", 0L), ("POST", "405", 0L) })
        {
            InMemoryStream req = c.Open(bidirectional: true);
            await req.Output.WriteAsync(Request([new(":method", method), new(":scheme", "https"), new(":authority", "x"), new(":path", "/medium.bin")]));
            await req.Output.CompleteAsync();
            var reader = new Http3FrameReader(req.Input);
            Assert.True(await reader.ReadFrameHeaderAsync().AsTask().WaitAsync(Safety));
            var fields = QpackDecoder.Decode(await reader.ReadPayloadAsync(1000));
            Assert.Contains(new HeaderField(":status", status), fields);
            long body = 0;
            while (await reader.ReadFrameHeaderAsync()) body += (long)reader.PayloadLength;
            Assert.Equal(bodyExpected, body);
        }
        await c.CloseAsync(Http3ErrorCode.NoError);
        await serverTask.WaitAsync(Safety);
    }

    // The client side: a hand-driven server sends bad control data; the client must close with the right code.
    [Theory]
    [InlineData(Http3ErrorCode.MissingSettings, "00 0000")]
    [InlineData(Http3ErrorCode.IdError, "00 0400 070101")]          // GOAWAY ID 1: not a client bidi stream
    [InlineData(Http3ErrorCode.IdError, "00 0400 070104 070108")]   // GOAWAY ID increases
    [InlineData(Http3ErrorCode.FrameUnexpected, "00 0400 0d0100")]  // MAX_PUSH_ID from a server
    [InlineData(Http3ErrorCode.IdError, "01 00")]                   // push stream although no MAX_PUSH_ID sent
    public async Task ClientClosesOnServerControlErrors(long expected, string hex)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = new Http3Client(c);
        await client.StartAsync();
        InMemoryStream st = s.Open(bidirectional: false);
        await st.Output.WriteAsync(Hex.Parse(hex));
        Assert.Equal(expected, await client.Session.Closed.WaitAsync(Safety));
        Assert.Equal(expected, c.LocalCloseCode);
    }

    [Fact]
    public async Task ClientReportsMalformedResponses()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = new Http3Client(c);
        await client.StartAsync();
        string dl = www.NewDownloadDirectory();
        Task<DownloadResult> download = client.DownloadAsync(U("/a.bin"), dl);
        IH3Stream? req = await s.AcceptStreamAsync().AsTask().WaitAsync(Safety);
        while (req is not null && !req.CanWrite) req = await s.AcceptStreamAsync();
        Assert.NotNull(req);
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Http3Frames.WriteFrame(w, Http3FrameType.Headers, QpackEncoder.Encode([new(":status", "200"), new("content-length", "10")]));
        Http3Frames.WriteFrame(w, Http3FrameType.Data, [1, 2, 3]);
        await req.Output.WriteAsync(w.WrittenMemory);
        await req.Output.CompleteAsync();
        DownloadResult r = await download.WaitAsync(Safety);
        Assert.False(r.Success);
        Assert.Equal(3, r.BytesReceived);
        Assert.Contains("content-length", r.Error);
        await client.CloseAsync().WaitAsync(Safety);
    }

    [Fact]
    public async Task ClientStopsReadingAMalformedResponse()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = new Http3Client(c);
        await client.StartAsync();
        Task<DownloadResult> download = client.DownloadAsync(U("/b.bin"), www.NewDownloadDirectory());
        IH3Stream? req = await s.AcceptStreamAsync().AsTask().WaitAsync(Safety);
        while (req is not null && !req.CanWrite) req = await s.AcceptStreamAsync();
        Assert.NotNull(req);
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        Http3Frames.WriteFrame(w, Http3FrameType.Headers, QpackEncoder.Encode([new("content-length", "0")])); // no :status
        await req.Output.WriteAsync(w.WrittenMemory);
        DownloadResult r = await download.WaitAsync(Safety);
        Assert.False(r.Success);
        Assert.Equal(Http3ErrorCode.MessageError, c.Opened.Single(st => st.StreamId == req.StreamId).ReadAbortCode);
        Assert.Null(c.LocalCloseCode); // a stream error, not a connection error
        await client.CloseAsync().WaitAsync(Safety);
    }

    // Raw response bytes from a hand-driven server, and the code the client must close the connection with.
    [Theory]
    [InlineData(Http3ErrorCode.FrameUnexpected, "0001aa")]          // DATA before HEADERS
    [InlineData(Http3ErrorCode.IdError, "050100")]                  // PUSH_PROMISE although no MAX_PUSH_ID sent
    [InlineData(Http3ErrorCode.FrameUnexpected, "0400")]            // SETTINGS on a request stream
    [InlineData(Http3ErrorCode.FrameUnexpected, "0900")]            // HTTP/2 CONTINUATION type
    [InlineData(Http3ErrorCode.QpackDecompressionFailed, "0103 0000 80")]
    [InlineData(Http3ErrorCode.FrameError, "0110 0000")]            // HEADERS cut by FIN
    public async Task ClientClosesOnBadResponseFrames(long expected, string hex)
    {
        var (c, s) = InMemoryConnection.CreatePair();
        var client = new Http3Client(c);
        await client.StartAsync();
        Task<DownloadResult> download = client.DownloadAsync(U("/c.bin"), www.NewDownloadDirectory());
        IH3Stream? req = await s.AcceptStreamAsync().AsTask().WaitAsync(Safety);
        while (req is not null && !req.CanWrite) req = await s.AcceptStreamAsync();
        Assert.NotNull(req);
        await req.Output.WriteAsync(Hex.Parse(hex));
        await req.Output.CompleteAsync();
        DownloadResult r = await download.WaitAsync(Safety);
        Assert.False(r.Success);
        Assert.Equal(expected, await client.Session.Closed.WaitAsync(Safety));
        Assert.Equal(expected, c.LocalCloseCode);
    }

    // Whatever bytes arrive on the control stream or a request stream, the server neither crashes nor hangs: it
    // either closes the connection with an HTTP/3 or QPACK code or carries on until the client closes.
    [Fact]
    public async Task ServerSurvivesRandomBytes()
    {
        var rng = new Random(7);
        var codes = new HashSet<long>();
        for (int i = 0; i < 60; i++)
        {
            var (c, s) = InMemoryConnection.CreatePair();
            Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
            byte[] junk = new byte[rng.Next(0, 64)];
            rng.NextBytes(junk);
            InMemoryStream st;
            if (i % 2 == 0)
            {
                st = c.Open(bidirectional: false);
                await st.Output.WriteAsync(Hex.Parse("00 0400"));
            }
            else
            {
                st = c.Open(bidirectional: true);
                if (i % 4 == 1) junk[0] = 0x01; // make HEADERS likely
            }
            await st.Output.WriteAsync(junk);
            await st.Output.CompleteAsync();
            if (i % 2 == 1)
            {
                // A request stream always ends in a response, a reset or a connection close.
                try
                {
                    while (true)
                    {
                        var rr = await st.Input.ReadAsync().AsTask().WaitAsync(Safety);
                        st.Input.AdvanceTo(rr.Buffer.End);
                        if (rr.IsCompleted) break;
                    }
                }
                catch (IOException) { }
            }
            else
            {
                // The control stream ends, so the server must close the connection (at the latest with
                // H3_CLOSED_CRITICAL_STREAM, or earlier for a bad frame).
                await serverTask.WaitAsync(Safety);
                Assert.NotNull(s.LocalCloseCode);
            }
            await c.CloseAsync(Http3ErrorCode.NoError);
            await serverTask.WaitAsync(Safety);
            if (s.LocalCloseCode is long code)
            {
                Assert.True(code is >= 0x100 and <= 0x110 or >= 0x200 and <= 0x202, $"unexpected code 0x{code:x}");
                codes.Add(code);
            }
        }
        Assert.True(codes.Count >= 2, $"only {codes.Count} distinct close codes");
    }

    [Fact]
    public async Task ManyConcurrentRequestsOnOneConnection()
    {
        var (c, s) = InMemoryConnection.CreatePair();
        Task serverTask = new Http3Server(new WebRoot(www.Root)).ServeConnectionAsync(s);
        var client = new Http3Client(c);
        await client.StartAsync();
        string dl = www.NewDownloadDirectory();
        Uri[] urls = Enumerable.Range(0, WwwFixture.ManyCount).Select(i => U($"/many/f{i}.bin")).ToArray();
        DownloadResult[] results = await client.DownloadAllAsync(urls, dl).WaitAsync(Safety);
        Assert.All(results, r => Assert.True(r.Success, r.Error));
        for (int i = 0; i < WwwFixture.ManyCount; i++)
            Assert.Equal(File.ReadAllBytes(Path.Combine(www.Root, "many", $"f{i}.bin")), File.ReadAllBytes(Path.Combine(dl, $"f{i}.bin")));
        await client.CloseAsync().WaitAsync(Safety);
        await serverTask.WaitAsync(Safety);
        Assert.Null(s.LocalCloseCode);
    }
}
