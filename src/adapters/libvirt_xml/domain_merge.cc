#include "adapters/libvirt_xml/domain_merge.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

namespace pcipass {
namespace {

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

bool named(const xmlNode* n, const char* name) {
  return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, X(name)) == 0;
}

xmlNode* child(xmlNode* parent, const char* name) {
  for (xmlNode* c = parent->children; c; c = c->next)
    if (named(c, name)) return c;
  return nullptr;
}

void drop(xmlNode* parent, const char* name) {
  for (xmlNode* c = child(parent, name); c; c = child(parent, name)) {
    xmlUnlinkNode(c);
    xmlFreeNode(c);
  }
}

// Replaces (or adds) <name>text</name> under `parent`, keeping where it was.
xmlNode* set_text(xmlNode* parent, const char* name, const std::string& text) {
  xmlNode* n = child(parent, name);
  if (!n) n = xmlNewChild(parent, nullptr, X(name), nullptr);
  xmlNodeSetContent(n, nullptr);
  xmlNodeAddContent(n, X(text.c_str()));
  return n;
}

Doc parse(const std::string& text) {
  // No network, no entity expansion, no DTD loading: a base domain is plain XML.
  return Doc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "domain.xml", nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                                               XML_PARSE_NOWARNING));
}

}  // namespace

Result<std::string> merge_domain(const std::string& base_xml, const std::string& name, uint32_t vcpus, uint64_t memory_mb,
                                 const std::string& devices_xml, const std::string& metadata_xml) {
  Doc base = parse(base_xml);
  if (!base) {
    const xmlError* e = xmlGetLastError();
    std::string why = e && e->message ? e->message : "not well-formed XML";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return invalid("the base domain is not well-formed XML" + (e ? " (line " + std::to_string(e->line) + ": " + why + ")" : ""));
  }
  xmlNode* domain = xmlDocGetRootElement(base.get());
  if (!domain || !named(domain, "domain")) return invalid("the base domain's root element must be <domain>");
  set_text(domain, "name", name);
  drop(domain, "uuid");
  drop(domain, "currentMemory");
  xmlNode* memory = set_text(domain, "memory", std::to_string(memory_mb));
  xmlSetProp(memory, X("unit"), X("MiB"));
  xmlNode* vcpu = set_text(domain, "vcpu", std::to_string(vcpus));
  xmlUnsetProp(vcpu, X("current"));
  xmlNode* devices = child(domain, "devices");
  if (!devices) devices = xmlNewChild(domain, nullptr, X("devices"), nullptr);
  Doc extra = parse("<devices>" + devices_xml + "</devices>");
  if (!extra) return Error(ErrorCode::Internal, "the server's device elements are not well-formed XML");
  for (xmlNode* c = xmlDocGetRootElement(extra.get())->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    xmlNode* copy = xmlDocCopyNode(c, base.get(), 1);
    if (!copy || !xmlAddChild(devices, copy)) return Error(ErrorCode::Internal, "could not add a device element to the base domain");
  }
  if (!metadata_xml.empty()) {
    Doc about = parse("<metadata>" + metadata_xml + "</metadata>");
    if (!about) return Error(ErrorCode::Internal, "the server's metadata element is not well-formed XML");
    xmlNode* metadata = child(domain, "metadata");
    if (!metadata) {
      // Where libvirt writes it: after <name>, <uuid>, <title> and <description>.
      metadata = xmlNewNode(nullptr, X("metadata"));
      xmlNode* after = child(domain, "name");
      for (const char* n : {"title", "description"})
        if (xmlNode* c = child(domain, n)) after = c;
      if (after) xmlAddNextSibling(after, metadata);
      else xmlAddChild(domain, metadata);
    }
    for (xmlNode* c = xmlDocGetRootElement(about.get())->children; c; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || !c->ns) continue;
      for (xmlNode* old = metadata->children; old;) {  // one element per namespace, as libvirt keeps them
        xmlNode* next = old->next;
        if (old->type == XML_ELEMENT_NODE && old->ns && xmlStrcmp(old->ns->href, c->ns->href) == 0) {
          xmlUnlinkNode(old);
          xmlFreeNode(old);
        }
        old = next;
      }
      xmlNode* copy = xmlDocCopyNode(c, base.get(), 1);
      if (!copy || !xmlAddChild(metadata, copy)) return Error(ErrorCode::Internal, "could not add the metadata element to the base domain");
    }
  }
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpFormatMemory(base.get(), &out, &size, 1);
  if (!out) return Error(ErrorCode::Internal, "could not write the merged domain");
  std::string text(reinterpret_cast<const char*>(out), static_cast<size_t>(size));
  xmlFree(out);
  return text;
}

}  // namespace pcipass
