using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class WebRootTests(WwwFixture www) : IClassFixture<WwwFixture>
{
    [Theory]
    [InlineData("/small.txt", "small.txt")]
    [InlineData("/dir/nested.txt", "dir/nested.txt")]
    [InlineData("/dir//nested.txt", "dir/nested.txt")]
    [InlineData("/small.txt?x=1#frag", "small.txt")]
    [InlineData("/name%20with%20space.txt", "name with space.txt")]
    [InlineData("/../secret.txt", null)]
    [InlineData("/dir/../../secret.txt", null)]
    [InlineData("/%2e%2e/secret.txt", null)]
    [InlineData("/..%2fsecret.txt", null)]
    [InlineData("/dir/..%5c..%5csecret.txt", null)]
    [InlineData("/dir/./nested.txt", null)]
    [InlineData("/small.txt%00.png", null)]
    [InlineData("//etc/passwd", null)]
    [InlineData("/", null)]
    [InlineData("/dir", null)]
    [InlineData("small.txt", null)]
    [InlineData("", null)]
    [InlineData("/%zz", null)]
    public void ResolvesOnlyFilesInsideTheRoot(string requestPath, string? relative)
    {
        string? resolved = new WebRoot(www.Root).Resolve(requestPath);
        Assert.Equal(relative is null ? null : Path.GetFullPath(Path.Combine(www.Root, relative)), resolved);
    }

    [Theory]
    [InlineData("https://h/a/b.txt", "b.txt")]
    [InlineData("https://h/x", "x")]
    [InlineData("https://h/", "index.html")]
    [InlineData("https://h/a%20b", "a b")]
    public void DownloadFileNames(string url, string? name) => Assert.Equal(name, WebRoot.DownloadFileName(new Uri(url)));
}
