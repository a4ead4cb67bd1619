import BBFBuild
import Testing

@Suite("bbf build's summary: sizes per layer")
struct LayerSizesTests {
    /// `docker history --human=false --no-trunc --format '{{.Size}}\t{{.CreatedBy}}'` of a line-4.2 image (shortened).
    static let history = """
        0\tCMD ["postgres"]
        0\tUSER 999:999
        20531193\tRUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c set -eux; /usr/local/bin/bbf-entrypoint make-template /opt/babelfish/template
        0\tRUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c set -eux; test -x /usr/local/bin/bbf-entrypoint
        8392792\tCOPY /out/bbf-entrypoint /usr/local/bin/bbf-entrypoint # buildkit
        59727322\tCOPY /opt/babelfish /opt/babelfish # buildkit
        4323\tRUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c set -eux; groupadd --system --gid 999 postgres; useradd --system
        58657117\tRUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c set -eux; apt-get update; apt-get install --yes --no-install-recommends gzip
        0\tARG DEBIAN_FRONTEND=noninteractive
        0\t/bin/sh -c #(nop)  CMD ["bash"]
        74812345\t/bin/sh -c #(nop) ADD file:2b4c1 in /
        41855077\t

        """

    @Test("each part of the runtime stage is named, oldest first; what came before them is the base")
    func summary() {
        let layers = LayerSizes.parse(Self.history)
        #expect(layers.count == 12)
        #expect(layers.first?.bytes == 41_855_077)
        #expect(
            LayerSizes.summary(layers)
                == "base image 116.7 MB, run-time packages 58.7 MB, user and directories 0.0 MB, /opt/babelfish 59.7 MB, bbf-entrypoint 8.4 MB, template cluster 20.5 MB"
        )
    }

    @Test("a layer after the runtime stage's own that is none of them is shown as other, with its instruction")
    func other() {
        let layers = [
            ImageLayer(bytes: 1_000_000, createdBy: ""), ImageLayer(bytes: 2_000_000, createdBy: "COPY /opt/babelfish /opt/babelfish"),
            ImageLayer(bytes: 300_000, createdBy: "RUN echo something"),
        ]
        #expect(LayerSizes.summary(layers) == "base image 1.0 MB, /opt/babelfish 2.0 MB, other (RUN echo something) 0.3 MB")
        #expect(LayerSizes.parse("not a size\tCOPY x\n") == [])
    }
}
