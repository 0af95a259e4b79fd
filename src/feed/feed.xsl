<?xml version="1.0" encoding="utf-8"?>
<!--
  Browser preview for seedfeed's RSS 2.0 and Atom 1.0 feeds.
  Feed readers ignore this stylesheet; browsers apply it when a person opens
  a feed URL. No JavaScript, no inline styles: the page has to work under
  Content-Security-Policy "default-src 'none'; style-src 'self'; script-src 'self'"
  (Chromium loads an XSLT style sheet under script-src).
  The server replaces @BASE_PATH@ (the path of its base URL, "" at the root) before
  serving: the style sheet is loaded from the feed's own origin, which the policy allows.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">

  <xsl:output method="html" encoding="utf-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <!-- One entry point for both formats. -->
  <xsl:template match="/">
    <xsl:apply-templates select="rss/channel | atom:feed"/>
  </xsl:template>

  <!-- ===================== RSS 2.0 ===================== -->
  <xsl:template match="channel">
    <xsl:call-template name="page">
      <xsl:with-param name="lang" select="normalize-space(language)"/>
      <xsl:with-param name="title" select="normalize-space(title)"/>
      <xsl:with-param name="description" select="normalize-space(description)"/>
      <xsl:with-param name="site" select="normalize-space(link)"/>
      <xsl:with-param name="self" select="normalize-space(atom:link[@rel='self'][1]/@href)"/>
      <xsl:with-param name="items" select="item"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="item">
    <xsl:variable name="lang" select="normalize-space(dc:language)"/>
    <li dir="auto">
      <xsl:if test="$lang != ''">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <xsl:call-template name="item-title">
        <xsl:with-param name="title" select="normalize-space(title)"/>
        <xsl:with-param name="href" select="normalize-space(link)"/>
      </xsl:call-template>
      <xsl:call-template name="item-meta">
        <xsl:with-param name="raw-date" select="normalize-space(pubDate)"/>
        <xsl:with-param name="date-format" select="'rfc822'"/>
        <xsl:with-param name="author" select="normalize-space((author | dc:creator)[1])"/>
      </xsl:call-template>
      <xsl:call-template name="item-summary">
        <xsl:with-param name="text" select="normalize-space(description)"/>
      </xsl:call-template>
    </li>
  </xsl:template>

  <!-- ===================== Atom 1.0 ===================== -->
  <xsl:template match="atom:feed">
    <xsl:call-template name="page">
      <xsl:with-param name="lang" select="normalize-space(@xml:lang)"/>
      <xsl:with-param name="title" select="normalize-space(atom:title)"/>
      <xsl:with-param name="description" select="normalize-space(atom:subtitle)"/>
      <xsl:with-param name="site" select="normalize-space(atom:link[@rel='alternate'][1]/@href)"/>
      <xsl:with-param name="self" select="normalize-space(atom:link[@rel='self'][1]/@href)"/>
      <xsl:with-param name="items" select="atom:entry"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="atom:entry">
    <!-- the entry's own language, else the one on its title -->
    <xsl:variable name="lang" select="normalize-space((@xml:lang | atom:title/@xml:lang)[1])"/>
    <xsl:variable name="href">
      <xsl:choose>
        <xsl:when test="atom:link[@rel='alternate']">
          <xsl:value-of select="normalize-space(atom:link[@rel='alternate'][1]/@href)"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="normalize-space(atom:link[not(@rel)][1]/@href)"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <li dir="auto">
      <xsl:if test="$lang != ''">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <xsl:call-template name="item-title">
        <xsl:with-param name="title" select="normalize-space(atom:title)"/>
        <xsl:with-param name="href" select="$href"/>
      </xsl:call-template>
      <xsl:call-template name="item-meta">
        <xsl:with-param name="raw-date">
          <xsl:choose>
            <xsl:when test="normalize-space(atom:published) != ''"><xsl:value-of select="normalize-space(atom:published)"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space(atom:updated)"/></xsl:otherwise>
          </xsl:choose>
        </xsl:with-param>
        <xsl:with-param name="date-format" select="'rfc3339'"/>
        <xsl:with-param name="author" select="normalize-space(atom:author[1]/atom:name)"/>
      </xsl:call-template>
      <xsl:call-template name="item-summary">
        <xsl:with-param name="text" select="normalize-space(atom:summary)"/>
      </xsl:call-template>
    </li>
  </xsl:template>

  <!-- ===================== shared page ===================== -->
  <xsl:template name="page">
    <xsl:param name="lang"/>
    <xsl:param name="title"/>
    <xsl:param name="description"/>
    <xsl:param name="site"/>
    <xsl:param name="self"/>
    <xsl:param name="items"/>
    <html>
      <xsl:if test="$lang != ''">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title>
          <xsl:choose>
            <xsl:when test="$title != ''"><xsl:value-of select="$title"/></xsl:when>
            <xsl:otherwise>Web feed</xsl:otherwise>
          </xsl:choose>
        </title>
        <link rel="stylesheet" href="@BASE_PATH@/style.css"/>
      </head>
      <body>
        <section class="feed-notice" aria-labelledby="feed-notice-title">
          <h2 id="feed-notice-title">This is a web feed</h2>
          <p>
            <xsl:text>A web feed lets you follow this site without visiting it: subscribe by copying this feed&#8217;s address into a feed reader such as newsboat, Thunderbird, NetNewsWire or Miniflux, and new articles will come to you. This page is only a preview of the feed.</xsl:text>
          </p>
          <xsl:if test="$self != ''">
            <p class="feed-url-label">Copy this address into your feed reader:</p>
            <p><code class="feed-url"><xsl:value-of select="$self"/></code></p>
          </xsl:if>
        </section>
        <header>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:if test="$description != ''">
            <p><xsl:value-of select="$description"/></p>
          </xsl:if>
          <xsl:if test="starts-with(translate($site, 'HTPS', 'htps'), 'http://') or starts-with(translate($site, 'HTPS', 'htps'), 'https://')">
            <p><a href="{$site}">Visit the website →</a></p>
          </xsl:if>
        </header>
        <main>
          <h2>Articles</h2>
          <xsl:choose>
            <xsl:when test="$items">
              <ol class="feed-items">
                <xsl:apply-templates select="$items"/>
              </ol>
            </xsl:when>
            <xsl:otherwise>
              <p>This feed has no articles yet.</p>
            </xsl:otherwise>
          </xsl:choose>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template name="item-title">
    <xsl:param name="title"/>
    <xsl:param name="href"/>
    <!-- only http(s) links become <a>: no javascript: or data: URLs -->
    <xsl:variable name="text">
      <xsl:choose>
        <xsl:when test="$title != ''"><xsl:value-of select="$title"/></xsl:when>
        <xsl:otherwise>(untitled)</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <h3>
      <xsl:choose>
        <xsl:when test="starts-with(translate($href, 'HTPS', 'htps'), 'http://') or starts-with(translate($href, 'HTPS', 'htps'), 'https://')">
          <a href="{$href}"><xsl:value-of select="$text"/></a>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
      </xsl:choose>
    </h3>
  </xsl:template>

  <!-- "date · author", like the site's index page; either part may be missing. -->
  <xsl:template name="item-meta">
    <xsl:param name="raw-date"/>
    <xsl:param name="date-format"/>
    <xsl:param name="author"/>
    <xsl:if test="$raw-date != '' or $author != ''">
      <p class="meta">
        <xsl:if test="$raw-date != ''">
          <xsl:choose>
            <xsl:when test="$date-format = 'rfc3339'">
              <time datetime="{$raw-date}"><xsl:value-of select="substring($raw-date, 1, 10)"/></time>
            </xsl:when>
            <xsl:otherwise>
              <xsl:call-template name="rfc822-time">
                <xsl:with-param name="raw" select="$raw-date"/>
              </xsl:call-template>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:if>
        <xsl:if test="$raw-date != '' and $author != ''"> · </xsl:if>
        <xsl:if test="$author != ''">
          <bdi><xsl:value-of select="$author"/></bdi>
        </xsl:if>
      </p>
    </xsl:if>
  </xsl:template>

  <xsl:template name="item-summary">
    <xsl:param name="text"/>
    <!-- Plain text on purpose: escaped HTML in summaries stays visible as text. -->
    <xsl:if test="$text != ''">
      <p><xsl:value-of select="$text"/></p>
    </xsl:if>
  </xsl:template>

  <!--
    RSS pubDate (RFC 822, e.g. "Fri, 4 Apr 2025 00:00:00 +0000") into
    <time datetime="2025-04-04T00:00:00+00:00">2025-04-04</time>.
    Anything that does not parse is shown exactly as given, in a plain <span>.
  -->
  <xsl:template name="rfc822-time">
    <xsl:param name="raw"/>
    <xsl:variable name="s">
      <xsl:choose>
        <xsl:when test="contains($raw, ',')"><xsl:value-of select="normalize-space(substring-after($raw, ','))"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$raw"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="day" select="substring-before($s, ' ')"/>
    <xsl:variable name="r1" select="substring-after($s, ' ')"/>
    <xsl:variable name="mon" select="substring-before($r1, ' ')"/>
    <xsl:variable name="r2" select="substring-after($r1, ' ')"/>
    <xsl:variable name="year">
      <xsl:choose>
        <xsl:when test="contains($r2, ' ')"><xsl:value-of select="substring-before($r2, ' ')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$r2"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="r3" select="substring-after($r2, ' ')"/>
    <xsl:variable name="clock">
      <xsl:choose>
        <xsl:when test="contains($r3, ' ')"><xsl:value-of select="substring-before($r3, ' ')"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$r3"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="zone" select="normalize-space(substring-after($r3, ' '))"/>
    <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>
    <xsl:variable name="mon3" select="concat(translate(substring($mon, 1, 1), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), translate(substring($mon, 2, 2), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'))"/>
    <xsl:variable name="month-num" select="string-length(substring-before($months, $mon3)) div 3 + 1"/>
    <xsl:variable name="ok"
        select="string-length($year) = 4 and translate($year, '0123456789', '') = ''
                and (string-length($day) = 1 or string-length($day) = 2) and translate($day, '0123456789', '') = ''
                and number($day) &gt;= 1 and number($day) &lt;= 31
                and string-length($mon) &gt;= 3 and contains($months, $mon3)
                and (string-length(substring-before($months, $mon3)) mod 3) = 0"/>
    <xsl:choose>
      <xsl:when test="$ok">
        <xsl:variable name="date" select="concat($year, '-', format-number($month-num, '00'), '-', format-number(number($day), '00'))"/>
        <!-- time of day and offset when they are in a form HTML accepts -->
        <xsl:variable name="hms">
          <xsl:choose>
            <xsl:when test="string-length($clock) = 8 and translate($clock, '0123456789', '') = '::'"><xsl:value-of select="$clock"/></xsl:when>
            <xsl:when test="string-length($clock) = 5 and translate($clock, '0123456789', '') = ':'"><xsl:value-of select="$clock"/></xsl:when>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="offset">
          <xsl:choose>
            <xsl:when test="$zone = 'GMT' or $zone = 'UT' or $zone = 'UTC' or $zone = 'Z'">Z</xsl:when>
            <xsl:when test="string-length($zone) = 5 and (starts-with($zone, '+') or starts-with($zone, '-')) and translate(substring($zone, 2), '0123456789', '') = ''">
              <xsl:value-of select="concat(substring($zone, 1, 3), ':', substring($zone, 4, 2))"/>
            </xsl:when>
          </xsl:choose>
        </xsl:variable>
        <xsl:variable name="datetime">
          <xsl:choose>
            <xsl:when test="$hms != '' and $offset != ''"><xsl:value-of select="concat($date, 'T', $hms, $offset)"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="$date"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <time datetime="{$datetime}"><xsl:value-of select="$date"/></time>
      </xsl:when>
      <xsl:otherwise>
        <span><xsl:value-of select="$raw"/></span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
