//! The services: each one, as [`Service`] and [`Method`]s, is handed to a [`ServiceWriter`] as its
//! file is written (by [`super::write_all`]), or without the messages by [`write_services`].

use std::collections::BTreeSet;

use prost_reflect::prost_types::{
    FileDescriptorProto, FileDescriptorSet, MethodOptions, ServiceDescriptorProto, ServiceOptions,
};

use super::layout::Context;
use super::writer::FileWriter;
use crate::BuildResult;
use crate::comments::Comments;
use crate::names::{camel, snake};

/// One service, with what a service writer needs of it. (Some fields are read only by the mock
/// server's writer, and none by the types crate's, which writes no services.)
#[derive(Debug, Clone)]
pub struct Service {
    /// The Rust name (UpperCamel).
    pub name: String,
    /// The name in the proto file.
    pub proto_name: String,
    /// The proto package.
    pub package: String,
    /// Its comments.
    pub comments: Comments,
    /// Its rpcs, in the proto file's order.
    pub methods: Vec<Method>,
    /// Its options, as decoded by prost-types.
    pub options: ServiceOptions,
}

/// One rpc of a [`Service`]. (As for [`Service`], not every writer reads every field.)
#[derive(Debug, Clone)]
pub struct Method {
    /// The Rust name (snake_case).
    pub name: String,
    /// The name in the proto file.
    pub proto_name: String,
    /// Its comments.
    pub comments: Comments,
    /// The request's Rust path, relative to the package's module.
    pub input_type: String,
    /// The response's Rust path, relative to the package's module.
    pub output_type: String,
    /// The request's full proto name (with a leading dot).
    pub input_proto_type: String,
    /// The response's full proto name (with a leading dot).
    pub output_proto_type: String,
    /// Its options, as decoded by prost-types.
    pub options: MethodOptions,
    /// Whether the client sends a stream.
    pub client_streaming: bool,
    /// Whether the server answers with a stream.
    pub server_streaming: bool,
}

/// What writes the code of services, called as the messages are written.
pub trait ServiceWriter {
    /// Writes one service into its package's file.
    fn service(&mut self, service: Service, buf: &mut String);
    /// Called after each proto file, with its package's file.
    fn file_done(&mut self, buf: &mut String);
    /// Called at the end, once for each package that has a service, with its file.
    fn package_done(&mut self, package: &str, buf: &mut String);
}

/// Hands every service in `set` to `services`, as [`write_all`](super::write_all) does, without
/// writing the messages: for a build script that writes the services beside messages written
/// elsewhere. What `services` writes into the buffers it is given is dropped.
pub fn write_services(
    set: &FileDescriptorSet,
    services: &mut dyn ServiceWriter,
) -> BuildResult<()> {
    let no_boxes = BTreeSet::new();
    let context = Context::new(set, &no_boxes);
    let mut packages: Vec<&str> = Vec::new();
    for file in &set.file {
        if !file.service.is_empty() && !packages.contains(&file.package()) {
            packages.push(file.package());
        }
        FileWriter::new(&context, file, &mut String::new())?.write_services(file, services);
    }
    for package in packages {
        services.package_done(package, &mut String::new());
    }
    Ok(())
}

impl FileWriter<'_, '_> {
    /// Hands each service of the file to `services`, then tells it the file is done.
    pub(super) fn write_services(
        &mut self,
        file: &FileDescriptorProto,
        services: &mut dyn ServiceWriter,
    ) {
        self.path.push(6);
        for (i, service) in file.service.iter().enumerate() {
            self.path.push(i as i32);
            let service = self.service(service);
            services.service(service, self.buf);
            self.path.pop();
        }
        services.file_done(self.buf);
        self.path.pop();
    }

    fn service(&self, service: &ServiceDescriptorProto) -> Service {
        let comments = self.comments().unwrap_or_default();
        let mut path = self.path.clone();
        path.push(2);
        let methods = service
            .method
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut at = path.clone();
                at.push(i as i32);
                let comments = self.comments_at(&at).unwrap_or_default();
                Method {
                    name: snake(m.name()),
                    proto_name: m.name().to_owned(),
                    comments,
                    input_type: self.resolve(m.input_type()),
                    output_type: self.resolve(m.output_type()),
                    input_proto_type: m.input_type().to_owned(),
                    output_proto_type: m.output_type().to_owned(),
                    options: m.options.clone().unwrap_or_default(),
                    client_streaming: m.client_streaming(),
                    server_streaming: m.server_streaming(),
                }
            })
            .collect();
        Service {
            name: camel(service.name()),
            proto_name: service.name().to_owned(),
            package: self.package.clone(),
            comments,
            methods,
            options: service.options.clone().unwrap_or_default(),
        }
    }
}
